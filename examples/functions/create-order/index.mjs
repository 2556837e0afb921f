import { randomUUID } from "node:crypto";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";

const db = new DynamoDBClient({});

export const handler = async (event) => {
  const order = JSON.parse(event.body ?? "{}");
  const id = randomUUID();
  await db.send(
    new PutItemCommand({
      TableName: process.env.ORDERS_TABLE,
      Item: {
        pk: { S: `order#${id}` },
        sk: { S: "order" },
        customer: { S: String(order.customer ?? "anonymous") },
        created: { N: String(Date.now()) },
      },
    }),
  );
  return { statusCode: 201, body: JSON.stringify({ id }) };
};
