// $disconnect: forget the connection (best effort: API Gateway may not call it at all).
import { DeleteItemCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";

const db = new DynamoDBClient({});

export const handler = async (event) => {
  await db.send(
    new DeleteItemCommand({
      TableName: process.env.CONNECTIONS_TABLE,
      Key: { connection_id: { S: event.requestContext.connectionId } },
    }),
  );
  return { statusCode: 200 };
};
