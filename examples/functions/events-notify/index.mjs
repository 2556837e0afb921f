// Receives the order events SNS delivers (one record per message).
export const handler = async (event) => {
  for (const record of event.Records ?? []) {
    const order = JSON.parse(record.Sns.Message);
    console.log(`order ${order.id}: ${order.kind}`);
  }
};
