import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";

const db = new DynamoDBClient({});

export const handler = async (event) => {
  const id = event.pathParameters?.id;
  const out = await db.send(
    new GetItemCommand({
      TableName: process.env.ORDERS_TABLE,
      Key: { pk: { S: `order#${id}` }, sk: { S: "order" } },
    }),
  );
  if (!out.Item) {
    return { statusCode: 404, body: JSON.stringify({ error: "not found" }) };
  }
  return { statusCode: 200, body: JSON.stringify(out.Item) };
};
