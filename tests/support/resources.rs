//! What AWS holds, read and written with the SDK straight at the emulator (never through the
//! proxy): the facts tests check after a run, and resources made behind stackctl's back.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, Tag,
};

use super::{Project, sdk_config_at};

/// Creates on-demand table `name` with string partition key `key`, as another team would:
/// tagged for stack `owner` when given, untagged otherwise.
pub async fn create_table(endpoint: &str, name: &str, key: &str, owner: Option<&str>) {
    let config = sdk_config_at(endpoint).await;
    let mut request = aws_sdk_dynamodb::Client::new(&config)
        .create_table()
        .table_name(name)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest);
    if let Some(owner) = owner {
        request = request.tags(
            Tag::builder()
                .key("stackctl:stack")
                .value(owner)
                .build()
                .unwrap(),
        );
    }
    request.send().await.unwrap();
}

/// The change the JSON plan `plan` makes to `address`.
#[track_caller]
pub fn change<'a>(plan: &'a serde_json::Value, address: &str) -> &'a serde_json::Value {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == address)
        .unwrap_or_else(|| panic!("{address} in {plan}"))
}

/// The strings of JSON array `array`.
#[track_caller]
pub fn strings(array: &serde_json::Value) -> Vec<&str> {
    let array = array
        .as_array()
        .unwrap_or_else(|| panic!("an array: {array}"));
    array.iter().map(|v| v.as_str().unwrap()).collect()
}

impl Project {
    /// `plan --output json` with `args` after it, which succeeds, parsed.
    #[track_caller]
    pub fn plan_json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["plan", "--output", "json"];
        all.extend(args);
        let run = self.run(&all);
        run.success();
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
    }

    /// `stackctl outputs --output json`, parsed.
    pub fn outputs_json(&self) -> serde_json::Value {
        let run = self.run(&["outputs", "--output", "json"]);
        run.success();
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
    }

    /// Creates a table as another team would: see [`create_table`].
    pub fn create_table(&self, name: &str, key: &str, owner: Option<&str>) {
        self.block_on(create_table(&self.moto.endpoint, name, key, owner));
    }

    /// Puts `item` into `table`.
    pub fn put_item<'a>(
        &self,
        table: &str,
        item: impl IntoIterator<Item = (&'a str, AttributeValue)>,
    ) {
        let mut request = self.dynamodb().put_item().table_name(table);
        for (name, value) in item {
            request = request.item(name, value);
        }
        self.block_on(request.send()).unwrap();
    }

    /// Writes stack `stack`'s lock as another apply holding it would: taken two minutes ago, its
    /// lease running out in `expires_in` seconds (negative: a holder that died that long ago),
    /// with `more` attributes (the holder's `host` and `pid`).
    pub fn hold_lock(
        &self,
        stack: &str,
        holder: &str,
        expires_in: i64,
        more: &[(&str, AttributeValue)],
    ) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let lock = [
            ("stack", AttributeValue::S(stack.into())),
            ("holder", AttributeValue::S(holder.into())),
            ("token", AttributeValue::S("theirs".into())),
            ("acquired_at", AttributeValue::N((now - 120).to_string())),
            (
                "expires_at",
                AttributeValue::N((now + expires_in).to_string()),
            ),
        ];
        self.put_item(
            "stackctl-locks",
            lock.into_iter().chain(more.iter().cloned()),
        );
    }

    /// Puts SSM parameter `name`, a SecureString of `value`.
    pub fn put_secure_parameter(&self, name: &str, value: &str) {
        let put = self
            .ssm()
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString);
        self.block_on(put.send()).unwrap();
    }

    /// Lambda function `name`, if it exists.
    pub fn function(
        &self,
        name: &str,
    ) -> Option<aws_sdk_lambda::operation::get_function::GetFunctionOutput> {
        self.block_on(self.lambda().get_function().function_name(name).send())
            .ok()
    }

    /// Lambda function `name`'s resource policy (JSON text).
    pub fn policy(&self, name: &str) -> String {
        let out = self.block_on(self.lambda().get_policy().function_name(name).send());
        out.unwrap().policy().unwrap_or_default().to_string()
    }

    /// The statements of a function's resource policy, each as its ID and the source ARN its
    /// condition names (empty where none), sorted; `None` where the function has no policy.
    pub fn statements_if_any(&self, function: &str) -> Option<Vec<(String, String)>> {
        let policy = self.block_on(self.lambda().get_policy().function_name(function).send());
        let policy: serde_json::Value = serde_json::from_str(policy.ok()?.policy()?).unwrap();
        let mut out: Vec<(String, String)> = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let source = s["Condition"]["ArnLike"]["AWS:SourceArn"].as_str();
                let sid = s["Sid"].as_str().unwrap().to_string();
                (sid, source.unwrap_or_default().to_string())
            })
            .collect();
        out.sort();
        Some(out)
    }

    /// The functions of the account.
    pub fn functions(&self) -> Vec<aws_sdk_lambda::types::FunctionConfiguration> {
        let out = self
            .block_on(self.lambda().list_functions().send())
            .unwrap();
        out.functions().to_vec()
    }

    /// Whether IAM role `name` exists.
    pub fn role_exists(&self, name: &str) -> bool {
        self.block_on(self.iam().get_role().role_name(name).send())
            .is_ok()
    }

    /// The REST APIs (API Gateway v1) of the account.
    pub fn rest_apis(&self) -> Vec<aws_sdk_apigateway::types::RestApi> {
        let out = self.block_on(self.rest_apigateway().get_rest_apis().send());
        out.unwrap().items().to_vec()
    }

    /// The HTTP APIs (API Gateway v2) of the account.
    pub fn http_apis(&self) -> Vec<aws_sdk_apigatewayv2::types::Api> {
        let out = self.block_on(self.apigateway().get_apis().send()).unwrap();
        out.items().to_vec()
    }
}
