//! The client half of `TestApp`: requests with and without a key, and the calls most
//! tests make, each read whole by `send`.

use crate::helpers::TestApp;
use crate::reply::{Reply, send};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

impl TestApp {
    /// A request with the full-access key.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.req_as(&self.api_key, method, path)
    }

    /// A request with `key`.
    pub fn req_as(&self, key: &str, method: Method, path: &str) -> RequestBuilder {
        self.anonymous(method, path).bearer_auth(key)
    }

    /// A request without any key.
    pub fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
    }

    /// `PUT /v1/contacts/{id}`.
    pub async fn put_contact(&self, id: &str, body: &Value) -> Reply {
        send(
            self.req(Method::PUT, &format!("/v1/contacts/{id}"))
                .json(body),
        )
        .await
    }

    /// `POST /v1/contacts` with `body` as is.
    pub async fn bulk(&self, body: &Value) -> Reply {
        send(self.req(Method::POST, "/v1/contacts").json(body)).await
    }

    /// `POST /v1/contacts` of `contacts` into the test workspace; panics unless 200.
    pub async fn upsert(&self, contacts: Value) -> Value {
        let reply = self
            .bulk(&json!({"newsletter_id": self.workspace, "contacts": contacts}))
            .await;
        reply.expect_status(200);
        reply.json
    }

    /// Creates one contact in the test workspace and returns it as the API shows it.
    pub async fn new_contact(&self, fields: Value) -> Value {
        let id = self.upsert(json!([fields])).await["results"][0]["id"]
            .as_str()
            .expect("result id")
            .to_owned();
        let reply = self.get_contact(&id).await;
        reply.expect_status(200);
        reply.json
    }

    /// `GET /v1/contacts?{query}`.
    pub async fn list(&self, query: &str) -> Reply {
        send(self.req(Method::GET, &format!("/v1/contacts?{query}"))).await
    }

    /// Every contact of the test workspace via the API, walking the pages.
    pub async fn list_all(&self) -> Vec<Value> {
        self.list_all_of(&self.workspace).await
    }

    /// Every contact of `workspace` via the API, in list order.
    pub async fn list_all_of(&self, workspace: &str) -> Vec<Value> {
        let mut all = Vec::new();
        for page in 1.. {
            let reply = self
                .list(&format!("newsletter_id={workspace}&limit=1000&page={page}"))
                .await;
            reply.expect_status(200);
            let data = reply.json["data"].as_array().expect("data").clone();
            if data.is_empty() {
                break;
            }
            all.extend(data);
        }
        all
    }

    /// `GET /v1/contacts/{id}`.
    pub async fn get_contact(&self, id: &str) -> Reply {
        send(self.req(Method::GET, &format!("/v1/contacts/{id}"))).await
    }

    /// `DELETE` of `path`.
    pub async fn delete(&self, path: &str) -> Reply {
        send(self.req(Method::DELETE, path)).await
    }
}

/// The id of a contact as the API shows it.
pub fn id_of(contact: &Value) -> &str {
    contact["id"].as_str().expect("contact id")
}
