//! AWS Config for `--history config`. moto keeps configuration recorders
//! (`DescribeConfigurationRecorders` and their status are moto's answers)
//! but records no network interfaces, so `BatchGetResourceConfig` and
//! `GetResourceConfigHistory` are answered here, through the fault proxy,
//! from the configuration items a test lays down ([`Recorded`]). The
//! answers have the shape AWS gives (the service model of Config
//! 2014-11-12: `ConfigurationItem`, `BaseConfigurationItem`; an
//! interface's `configuration` as EC2 describes it, per AWS's
//! aws-config-resource-schema), and AWS's paging: newest first, each call
//! spanning at most seven days, `nextToken` while older items remain.

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use aws_sdk_config::types::{ConfigurationRecorder, DeliveryChannel, RecordingGroup, ResourceType};
use serde_json::{Value as Json, json};

use super::fault_proxy::{Action, Reply, Request, Rule};

pub const RESOURCE_TYPE: &str = "AWS::EC2::NetworkInterface";
pub const ACCOUNT: &str = "111122223333";
pub const REGION: &str = "us-east-1";
/// What one `GetResourceConfigHistory` call spans at most.
const SPAN: f64 = 7.0 * 86_400.0;

/// Sets up moto's configuration recorder `default` recording `types`
/// (`None`: every supported type), with a delivery channel, and starts it.
pub async fn record(config: &SdkConfig, types: Option<&[&str]>) {
    let client = aws_sdk_config::Client::new(config);
    let group = match types {
        None => RecordingGroup::builder()
            .all_supported(true)
            .include_global_resource_types(false),
        Some(types) => types
            .iter()
            .fold(RecordingGroup::builder().all_supported(false), |g, t| {
                g.resource_types(ResourceType::from(*t))
            }),
    };
    client
        .put_configuration_recorder()
        .configuration_recorder(
            ConfigurationRecorder::builder()
                .name("default")
                .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/config"))
                .recording_group(group.build())
                .build(),
        )
        .send()
        .await
        .expect("moto takes the configuration recorder");
    client
        .put_delivery_channel()
        .delivery_channel(
            DeliveryChannel::builder()
                .name("default")
                .s3_bucket_name("config-bucket")
                .build(),
        )
        .send()
        .await
        .expect("moto takes the delivery channel");
    client
        .start_configuration_recorder()
        .configuration_recorder_name("default")
        .send()
        .await
        .expect("moto starts the recorder");
}

/// The configuration items Config recorded of interfaces, oldest first per
/// interface.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    items: BTreeMap<String, Vec<Json>>,
}

impl Recorded {
    pub fn new() -> Recorded {
        Recorded::default()
    }

    /// The interface as Config captured it at `time` (its first item is
    /// `ResourceDiscovered`, later ones `OK`).
    pub fn state(
        &mut self,
        eni: &str,
        time: i64,
        vpc: &str,
        addresses: &[&str],
        groups: &[&str],
    ) -> &mut Self {
        let status = if self.items.contains_key(eni) {
            "OK"
        } else {
            "ResourceDiscovered"
        };
        let configuration = json!({
            "association": null,
            "attachment": null,
            "availabilityZone": format!("{REGION}a"),
            "description": "",
            "groups": groups.iter().map(|g| json!({"groupId": g, "groupName": format!("group-{g}")})).collect::<Vec<_>>(),
            "interfaceType": "interface",
            "ipv6Addresses": [],
            "macAddress": "02:00:00:00:00:01",
            "networkInterfaceId": eni,
            "outpostArn": null,
            "ownerId": ACCOUNT,
            "privateDnsName": dns(addresses[0]),
            "privateIpAddress": addresses[0],
            "privateIpAddresses": addresses.iter().enumerate().map(|(i, a)| json!({
                "association": null, "primary": i == 0,
                "privateDnsName": dns(a), "privateIpAddress": a,
            })).collect::<Vec<_>>(),
            "requesterId": null,
            "requesterManaged": false,
            "sourceDestCheck": true,
            "status": "in-use",
            "subnetId": "subnet-1",
            "tagSet": [],
            "vpcId": vpc,
        });
        let mut relationships: Vec<Json> = groups
            .iter()
            .map(|g| json!({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": g, "relationshipName": "Is associated with SecurityGroup"}))
            .collect();
        relationships.push(json!({"resourceType": "AWS::EC2::Subnet", "resourceId": "subnet-1", "relationshipName": "Is contained in Subnet"}));
        relationships.push(json!({"resourceType": "AWS::EC2::VPC", "resourceId": vpc, "relationshipName": "Is contained in Vpc"}));
        self.push(
            eni,
            time,
            status,
            Json::String(configuration.to_string()),
            relationships,
        )
    }

    /// The interface's deletion, captured at `time`.
    pub fn deleted(&mut self, eni: &str, time: i64) -> &mut Self {
        self.push(eni, time, "ResourceDeleted", Json::Null, Vec::new())
    }

    fn push(
        &mut self,
        eni: &str,
        time: i64,
        status: &str,
        configuration: Json,
        relationships: Vec<Json>,
    ) -> &mut Self {
        // AWS gives times in seconds with a fraction.
        let at = time as f64 + 0.25;
        let item = json!({
            "version": "1.3",
            "accountId": ACCOUNT,
            "configurationItemCaptureTime": at,
            "configurationItemStatus": status,
            "configurationStateId": format!("{}", time * 1000 + 250),
            "configurationItemMD5Hash": "",
            "arn": format!("arn:aws:ec2:{REGION}:{ACCOUNT}:network-interface/{eni}"),
            "resourceType": RESOURCE_TYPE,
            "resourceId": eni,
            "awsRegion": REGION,
            "availabilityZone": format!("{REGION}a"),
            "tags": {},
            "relatedEvents": [],
            "relationships": relationships,
            "configuration": configuration,
            "supplementaryConfiguration": {},
            "recordingFrequency": "CONTINUOUS",
            "configurationItemDeliveryTime": at + 60.0,
        });
        let items = self.items.entry(eni.to_string()).or_default();
        items.push(item);
        items.sort_by(|a, b| time_of(a).total_cmp(&time_of(b)));
        self
    }

    /// The proxy's rule: Config's item calls answered from these items,
    /// everything else forwarded to moto.
    pub fn rule(self) -> Rule {
        Box::new(move |req, _nth| self.answer(req).unwrap_or(Action::Forward))
    }

    /// The answer to a `BatchGetResourceConfig` or `GetResourceConfigHistory`.
    pub fn answer(&self, req: &Request) -> Option<Action> {
        let body: Json = match req.op.as_str() {
            "config:BatchGetResourceConfig" | "config:GetResourceConfigHistory" => {
                serde_json::from_slice(&req.body).expect("a JSON request")
            }
            _ => return None,
        };
        let reply = if req.op == "config:BatchGetResourceConfig" {
            self.batch(&body)
        } else {
            self.history(&body)
        };
        Some(Action::Reply(reply))
    }

    /// The latest item of each interface asked for that Config holds as
    /// current: a deleted one is not returned.
    fn batch(&self, body: &Json) -> Reply {
        let keys = body["resourceKeys"].as_array().expect("resourceKeys");
        assert!(keys.len() <= 100, "at most 100 keys a call");
        let items: Vec<Json> = keys
            .iter()
            .filter(|k| k["resourceType"] == RESOURCE_TYPE)
            .filter_map(|k| self.items.get(k["resourceId"].as_str()?)?.last())
            .filter(|i| i["configurationItemStatus"] != "ResourceDeleted")
            .map(|i| {
                let mut base = i.clone();
                let m = base.as_object_mut().unwrap();
                for field in [
                    "configurationItemMD5Hash",
                    "tags",
                    "relatedEvents",
                    "relationships",
                ] {
                    m.remove(field);
                }
                base
            })
            .collect();
        Reply::json_ok(
            &json!({"baseConfigurationItems": items, "unprocessedResourceKeys": []}).to_string(),
        )
    }

    /// One page of an interface's items, newest first: those of the seven
    /// days up to the page's start (`laterTime`, then the token).
    fn history(&self, body: &Json) -> Reply {
        let id = body["resourceId"].as_str().expect("resourceId");
        let Some(items) = self.items.get(id) else {
            return Reply::json(
                400,
                "ResourceNotDiscoveredException",
                &format!(
                    "Resource {id} of resourceType:{RESOURCE_TYPE} is unknown or has not been discovered"
                ),
            );
        };
        if body["chronologicalOrder"].as_str().unwrap_or("Reverse") != "Reverse" {
            return Reply::json(
                400,
                "ValidationException",
                "the recorded answers are served newest first only",
            );
        }
        let later = body["laterTime"].as_f64().unwrap_or(f64::MAX);
        let earlier = body["earlierTime"].as_f64().unwrap_or(f64::MIN);
        let limit = body["limit"].as_u64().filter(|l| *l > 0).unwrap_or(10) as usize;
        let start = body["nextToken"]
            .as_str()
            .map_or(later, |t| t.parse().expect("a token of ours"));
        let end = (start - SPAN).max(earlier);
        let page: Vec<&Json> = items
            .iter()
            .rev()
            .filter(|i| time_of(i) <= start && time_of(i) > end)
            .collect();
        assert!(
            page.len() <= limit,
            "the recorded items put more than a page in seven days"
        );
        let older = items
            .iter()
            .any(|i| time_of(i) <= end && time_of(i) >= earlier);
        let mut answer = json!({ "configurationItems": page });
        if older {
            answer["nextToken"] = json!(end.to_string());
        }
        Reply::json_ok(&answer.to_string())
    }
}

fn time_of(item: &Json) -> f64 {
    item["configurationItemCaptureTime"].as_f64().unwrap()
}

fn dns(address: &str) -> String {
    format!("ip-{}.ec2.internal", address.replace('.', "-"))
}
