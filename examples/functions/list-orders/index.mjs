import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";

const db = new DynamoDBClient({});

export const handler = async () => {
  const out = await db.send(new ScanCommand({ TableName: process.env.ORDERS_TABLE, Limit: 50 }));
  return { statusCode: 200, body: JSON.stringify(out.Items ?? []) };
};
