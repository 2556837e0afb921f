// $connect: remember the connection for a day (the table's TTL attribute forgets it after).
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";

const db = new DynamoDBClient({});
const DAY = 24 * 60 * 60;

export const handler = async (event) => {
  const expires = Math.floor(Date.now() / 1000) + DAY;
  await db.send(
    new PutItemCommand({
      TableName: process.env.CONNECTIONS_TABLE,
      Item: {
        connection_id: { S: event.requestContext.connectionId },
        expires_at: { N: String(expires) },
      },
    }),
  );
  return { statusCode: 200 };
};
