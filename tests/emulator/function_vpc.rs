//! Functions in a VPC: VpcConfig on create and update (empty lists to leave), subnets and
//! security groups compared as sets, and the managed role's network-interface permissions.

use std::io::{Read, Write};

use crate::support::proxy::ProxyConfig;
use crate::support::{Project, strings};

/// One EC2 Query API request to the emulator (aws-sdk-ec2 is a large crate to build for three
/// requests; the emulator takes unsigned requests that name the service in the credential
/// scope). Returns the response's XML.
fn ec2(endpoint: &str, params: &str) -> String {
    let host = endpoint.strip_prefix("http://").unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    let body = format!("{params}&Version=2016-11-15");
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
}

/// The text of the first `<tag>` in `xml`.
fn first(xml: &str, tag: &str) -> String {
    let start = xml.find(&format!("<{tag}>")).unwrap() + tag.len() + 2;
    let end = start + xml[start..].find(&format!("</{tag}>")).unwrap();
    xml[start..end].to_string()
}

/// A VPC with two subnets and two security groups: ([subnets], [groups]).
fn network(endpoint: &str) -> ([String; 2], [String; 2]) {
    let vpc = first(
        &ec2(endpoint, "Action=CreateVpc&CidrBlock=10.0.0.0%2F16"),
        "vpcId",
    );
    let subnet = |cidr: &str| {
        let params = format!("Action=CreateSubnet&VpcId={vpc}&CidrBlock=10.0.{cidr}.0%2F24");
        first(&ec2(endpoint, &params), "subnetId")
    };
    let group = |name: &str| {
        let params = format!(
            "Action=CreateSecurityGroup&VpcId={vpc}&GroupName={name}&GroupDescription=lambda"
        );
        first(&ec2(endpoint, &params), "groupId")
    };
    ([subnet("1"), subnet("2")], [group("a"), group("b")])
}

/// UpdateFunctionConfiguration, as the proxy counts it.
const UPDATE_CONFIGURATION: &str = "lambda:PUT /2015-03-31/functions/*/configuration";

fn stack(vpc: &str) -> String {
    format!(
        r#"
[stack]
name = "net"

[functions.worker]
runtime = "nodejs20.x"
handler = "index.handler"
code = "functions/worker"
{vpc}
"#
    )
}

/// The function's live VpcConfig: (subnets, security groups), sorted.
fn live_vpc(project: &Project) -> (Vec<String>, Vec<String>) {
    let function = project.function("net-worker").unwrap();
    let config = function.configuration().unwrap();
    let vpc = config.vpc_config();
    let sorted = |ids: Option<&[String]>| {
        let mut ids = ids.unwrap_or_default().to_vec();
        ids.sort();
        ids
    };
    (
        sorted(vpc.map(|v| v.subnet_ids())),
        sorted(vpc.map(|v| v.security_group_ids())),
    )
}

/// The actions of the managed role's `Vpc` statement, if it has one.
fn vpc_actions(project: &Project) -> Option<Vec<String>> {
    let policy = project
        .block_on(
            project
                .iam()
                .get_role_policy()
                .role_name("net-worker")
                .policy_name("stackctl")
                .send(),
        )
        .unwrap();
    let document = percent_encoding::percent_decode_str(policy.policy_document())
        .decode_utf8_lossy()
        .into_owned();
    let document: serde_json::Value = serde_json::from_str(&document).unwrap();
    let statements = document["Statement"].as_array().unwrap();
    let vpc = statements.iter().find(|s| s["Sid"] == "Vpc")?;
    assert_eq!(vpc["Resource"], serde_json::json!(["*"]));
    Some(
        strings(&vpc["Action"])
            .into_iter()
            .map(String::from)
            .collect(),
    )
}

#[test]
fn a_function_joins_changes_and_leaves_its_vpc() {
    let project = Project::new(&stack("")).through_proxy(ProxyConfig::immediate());
    let ([s1, s2], [g1, g2]) = network(&project.moto.endpoint);
    let declared = |subnets: &str, groups: &str| {
        stack(&format!(
            "vpc = {{ subnets = [{subnets}], security_groups = [{groups}] }}"
        ))
    };
    project.set_stack(&declared(&format!("{s1:?}, {s2:?}"), &format!("{g1:?}")));
    project.apply_converges();
    let mut subnets = vec![s1.clone(), s2.clone()];
    subnets.sort();
    assert_eq!(live_vpc(&project), (subnets.clone(), vec![g1.clone()]));
    assert_eq!(
        vpc_actions(&project).unwrap(),
        [
            "ec2:AssignPrivateIpAddresses",
            "ec2:CreateNetworkInterface",
            "ec2:DeleteNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:UnassignPrivateIpAddresses",
        ]
    );

    // Sets: another order is no change.
    project.set_stack(&declared(&format!("{s2:?}, {s1:?}"), &format!("{g1:?}")));
    project.run(&["plan", "--detailed-exitcode"]).code(0);

    // Another security group: one UpdateFunctionConfiguration with the whole VpcConfig.
    project.set_stack(&declared(&format!("{s2:?}, {s1:?}"), &format!("{g2:?}")));
    let plan = project.run(&["plan"]);
    plan.success().stdout_has(&[
        "~ function.worker (net-worker) will be updated in place",
        &format!("{g1:?}"),
        &format!("{g2:?}"),
    ]);
    let proxy = project.proxy.as_ref().unwrap();
    proxy.stats.reset();
    project.apply_converges();
    let updates = proxy.stats.bodies(UPDATE_CONFIGURATION);
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(
        updates[0],
        serde_json::json!({"VpcConfig": {"SubnetIds": subnets, "SecurityGroupIds": [g2]}})
    );
    assert_eq!(live_vpc(&project), (subnets, vec![g2.clone()]));

    // Removed: empty lists take the function out, and the role loses the ENI actions.
    project.set_stack(&stack(""));
    project.run(&["plan"]).success().stdout_has(&["vpc:"]);
    proxy.stats.reset();
    project.apply_converges();
    let updates = proxy.stats.bodies(UPDATE_CONFIGURATION);
    assert_eq!(
        updates,
        [serde_json::json!({"VpcConfig": {"SubnetIds": [], "SecurityGroupIds": []}})]
    );
    assert_eq!(live_vpc(&project), (vec![], vec![]));
    assert_eq!(vpc_actions(&project), None);
}
