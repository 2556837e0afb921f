// sendMessage (and $default): fan the message out to every connection through the callback
// URL (the @connections API); connections that are gone are forgotten, and one connection's
// failure is logged without failing the send to the others. The return value goes back to the
// sender on $default, a two-way route.
import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { DeleteItemCommand, DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";

const db = new DynamoDBClient({});
const connections = new ApiGatewayManagementApiClient({ endpoint: process.env.CALLBACK_URL });

export const handler = async (event) => {
  const message = JSON.parse(event.body ?? "{}");
  if (event.requestContext.routeKey === "$default") {
    return { statusCode: 200, body: JSON.stringify({ error: 'send {"action": "sendMessage", "text": "..."}' }) };
  }
  const data = JSON.stringify({ from: event.requestContext.connectionId, text: message.text });
  let page;
  let failed = 0;
  do {
    page = await db.send(
      new ScanCommand({
        TableName: process.env.CONNECTIONS_TABLE,
        ProjectionExpression: "connection_id",
        ExclusiveStartKey: page?.LastEvaluatedKey,
      }),
    );
    const sent = await Promise.allSettled(
      (page.Items ?? []).map((item) => post(item.connection_id.S, data)),
    );
    failed += sent.filter((s) => s.status === "rejected").length;
  } while (page.LastEvaluatedKey);
  return { statusCode: 200, body: JSON.stringify({ failed }) };
};

async function post(connectionId, data) {
  try {
    await connections.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
  } catch (e) {
    if (!(e instanceof GoneException)) {
      console.error(`posting to ${connectionId} failed`, e);
      throw e;
    }
    await db.send(
      new DeleteItemCommand({
        TableName: process.env.CONNECTIONS_TABLE,
        Key: { connection_id: { S: connectionId } },
      }),
    );
  }
}
