//! Three `purrlist serve` processes on one PostgreSQL, with clients spread across them.

use crate::support::{FreshDatabase, Node, http, test_url};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

const CLIENTS: usize = 6;
const ROUNDS: usize = 12;
const POOL: usize = 150;
const BATCH: usize = 40;

struct Api {
    http: reqwest::Client,
    bases: Vec<String>,
    key: String,
    workspace: String,
}

impl Api {
    async fn send(
        &self,
        node: usize,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let url = format!("{}{path}", self.bases[node % self.bases.len()]);
        let mut request = self
            .http
            .request(method.clone(), &url)
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request answered");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 200, "{method} {url} answered {status}: {body}");
        body
    }

    async fn bulk(&self, node: usize, contacts: Vec<Value>) -> Value {
        let body = json!({"newsletter_id": self.workspace, "contacts": contacts});
        self.send(node, reqwest::Method::POST, "/v1/contacts", Some(body))
            .await
    }

    async fn put(&self, node: usize, id: &str, body: Value) -> Value {
        self.send(
            node,
            reqwest::Method::PUT,
            &format!("/v1/contacts/{id}"),
            Some(body),
        )
        .await
    }

    async fn get(&self, node: usize, id: &str) -> Value {
        self.send(
            node,
            reqwest::Method::GET,
            &format!("/v1/contacts/{id}"),
            None,
        )
        .await
    }

    async fn page(&self, node: usize, page: usize) -> Value {
        let path = format!(
            "/v1/contacts?newsletter_id={}&limit=1000&page={page}",
            self.workspace
        );
        self.send(node, reqwest::Method::GET, &path, None).await
    }
}

fn first_id(answer: &Value) -> String {
    answer["results"][0]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

/// What one client saw acknowledged: normalised email → contact id.
async fn client_load(
    api: &Api,
    client: usize,
    own_id: String,
    shared_id: String,
) -> HashMap<String, String> {
    let mut acknowledged = HashMap::new();
    for round in 0..ROUNDS {
        let node = client + round;
        // Overlapping emails in varying case: other clients create and update the same ones.
        let contacts: Vec<Value> = (0..BATCH)
            .map(|i| {
                let n = (client * 37 + round * 11 + i * 7) % POOL;
                let email = if (client + i).is_multiple_of(2) {
                    format!("user{n}@example.com")
                } else {
                    format!("User{n}@Example.COM")
                };
                json!({"email": email, "name": format!("c{client}r{round}"), "custom_fields": {"n": n}})
            })
            .collect();
        let answer = api.bulk(node, contacts.clone()).await;
        for (item, result) in contacts
            .iter()
            .zip(answer["results"].as_array().expect("results"))
        {
            let email = item["email"].as_str().expect("email").to_lowercase();
            let id = result["id"].as_str().expect("id").to_owned();
            if let Some(previous) = acknowledged.insert(email.clone(), id.clone()) {
                assert_eq!(previous, id, "{email} answered with two different ids");
            }
        }

        // A write to this client's own contact is visible at once from every node.
        let name = format!("own-{client}-{round}");
        let email = format!("own{client}@example.com");
        api.put(node, &own_id, json!({"email": email, "name": name}))
            .await;
        for other in 0..3 {
            let seen = api.get(other, &own_id).await;
            assert_eq!(
                seen["name"],
                name,
                "node {other} did not see the write made through node {}",
                node % 3
            );
        }

        // Everyone writes the same contact; each write must succeed.
        api.put(
            node + 1,
            &shared_id,
            json!({"email": "shared@example.com", "name": format!("shared-{client}-{round}")}),
        )
        .await;
    }
    acknowledged
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_share_one_database_without_duplicates_or_lost_writes() {
    let Some(admin) = test_url("three_nodes_share_one_database_without_duplicates_or_lost_writes")
    else {
        return;
    };
    let db = FreshDatabase::create(&admin);
    // All three start together on an empty database: exactly one makes the first workspace.
    let starts: Vec<_> = (0..3)
        .map(|_| {
            let url = db.url.clone();
            std::thread::spawn(move || Node::start(&url, &[]))
        })
        .collect();
    let nodes: Vec<Node> = starts
        .into_iter()
        .map(|h| h.join().expect("node started"))
        .collect();
    let made: Vec<(String, String)> = nodes.iter().filter_map(|n| n.first_start.clone()).collect();
    assert_eq!(made.len(), 1, "first start ran on {} nodes", made.len());
    assert_eq!(db.query_i64("SELECT count(*) FROM workspaces"), 1);
    assert_eq!(db.query_i64("SELECT count(*) FROM api_keys"), 1);
    let (workspace, key) = made[0].clone();
    let api = std::sync::Arc::new(Api {
        http: http(),
        bases: nodes.iter().map(|n| n.base.clone()).collect(),
        key,
        workspace,
    });

    let mut own_ids = Vec::new();
    for client in 0..CLIENTS {
        let answer = api
            .bulk(
                client,
                vec![json!({"email": format!("own{client}@example.com")})],
            )
            .await;
        own_ids.push(first_id(&answer));
    }
    let shared_id = first_id(
        &api.bulk(0, vec![json!({"email": "shared@example.com"})])
            .await,
    );

    let tasks: Vec<_> = own_ids
        .iter()
        .enumerate()
        .map(|(client, own)| {
            let (api, own, shared) = (api.clone(), own.clone(), shared_id.clone());
            tokio::spawn(async move { client_load(&api, client, own, shared).await })
        })
        .collect();
    let mut acknowledged: HashMap<String, String> = HashMap::new();
    for task in tasks {
        for (email, id) in task.await.expect("client finished") {
            if let Some(previous) = acknowledged.insert(email.clone(), id.clone()) {
                assert_eq!(
                    previous, id,
                    "{email} was given two ids by concurrent requests"
                );
            }
        }
    }
    let expected = acknowledged.len() + CLIENTS + 1;

    // Totals agree on every node and match what was acknowledged.
    for node in 0..3 {
        let total = api.page(node, 1).await["total"].as_u64().expect("total");
        assert_eq!(total as usize, expected, "node {node} counts {total}");
    }
    // No duplicate emails; every acknowledged email is there, under the id it was given.
    let mut by_email: HashMap<String, String> = HashMap::new();
    let mut seen_ids = HashSet::new();
    let mut page = 1;
    loop {
        let answer = api.page(page, page).await;
        let data = answer["data"].as_array().expect("data").clone();
        if data.is_empty() {
            break;
        }
        for contact in data {
            let email = contact["email"].as_str().expect("email").to_lowercase();
            let id = contact["id"].as_str().expect("id").to_owned();
            assert!(seen_ids.insert(id.clone()), "{id} listed twice");
            assert!(
                by_email.insert(email.clone(), id).is_none(),
                "duplicate email {email}"
            );
        }
        page += 1;
    }
    assert_eq!(by_email.len(), expected);
    for (email, id) in &acknowledged {
        assert_eq!(
            by_email.get(email),
            Some(id),
            "{email} lost or under another id"
        );
    }
    let shared = api.get(2, &shared_id).await;
    assert!(
        shared["name"]
            .as_str()
            .expect("name")
            .starts_with("shared-")
    );
}
