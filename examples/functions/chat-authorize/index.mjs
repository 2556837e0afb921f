// The $connect authorizer: a REQUEST authorizer reads the token from the query string
// (identity_source) and answers an IAM policy for the connection.
export const handler = async (event) => {
  const token = event.queryStringParameters?.token;
  const effect = token && token === process.env.CHAT_TOKEN ? "Allow" : "Deny";
  return {
    principalId: "chat-user",
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: effect, Resource: event.methodArn }],
    },
  };
};
