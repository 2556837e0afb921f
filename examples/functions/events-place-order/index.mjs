import { randomUUID } from "node:crypto";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { SNSClient, PublishCommand } from "@aws-sdk/client-sns";

const db = new DynamoDBClient({});
const sns = new SNSClient({});

export const handler = async (event) => {
  const order = JSON.parse(event.body ?? "{}");
  const id = randomUUID();
  const kind = order.refund ? "refund" : "placed";
  await db.send(
    new PutItemCommand({
      TableName: process.env.ORDERS_TABLE,
      Item: { pk: { S: `order#${id}` }, kind: { S: kind } },
    }),
  );
  const message = JSON.stringify({ id, kind });
  await sns.send(
    new PublishCommand({
      TopicArn: process.env.EVENTS_TOPIC,
      Message: message,
      MessageAttributes: { kind: { DataType: "String", StringValue: kind } },
    }),
  );
  await sns.send(
    new PublishCommand({ TopicArn: process.env.LEDGER_TOPIC, Message: message, MessageGroupId: "orders" }),
  );
  return { statusCode: 201, body: JSON.stringify({ id }) };
};
