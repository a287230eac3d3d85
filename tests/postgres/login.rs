//! A PostgreSQL that refuses purrlist's login (role disabled, password changed) is the
//! database's state, not a bug: 503 `database_unavailable`, never 500, and service resumes
//! by itself once the login works again.

use crate::support::{FreshDatabase, Node, http, test_url, wait_until};
use std::time::Duration;

async fn admin_sql(url: &str, sql: &str) {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect as the test admin");
    let driver = tokio::spawn(connection);
    client.batch_execute(sql).await.expect(sql);
    drop(client);
    let _ = driver.await;
}

/// `url` with its user replaced by `role` (and no password).
fn as_role(url: &str, role: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let host = rest.rfind('@').map_or(rest, |at| &rest[at + 1..]);
    format!("{}{role}@{host}", &url[..start])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_login_answers_503_and_service_resumes() {
    let Some(admin) = test_url("refused_login_answers_503_and_service_resumes") else {
        return;
    };
    let database = FreshDatabase::create(&admin);
    let name = database
        .url
        .rsplit('/')
        .next()
        .unwrap_or("")
        .split('?')
        .next()
        .unwrap_or("")
        .to_owned();
    let role = format!("purrlist_role_{:08x}", rand::random::<u32>());
    admin_sql(
        &admin,
        &format!("CREATE ROLE {role} LOGIN; ALTER DATABASE {name} OWNER TO {role}"),
    )
    .await;

    let node = Node::start(&as_role(&database.url, &role), &[]);
    let (workspace, key) = node.first_start.clone().expect("first start");
    let client = http();
    let list = format!("{}/v1/contacts?newsletter_id={workspace}", node.base);
    let status = |url: String| {
        let (client, key) = (client.clone(), key.clone());
        async move {
            client
                .get(url)
                .bearer_auth(key)
                .send()
                .await
                .expect("an answer")
                .status()
                .as_u16()
        }
    };
    assert_eq!(status(list.clone()).await, 200);

    admin_sql(
        &admin,
        &format!("ALTER ROLE {role} NOLOGIN; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"),
    )
    .await;
    let response = client
        .get(&list)
        .bearer_auth(&key)
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 503);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["code"], "database_unavailable", "{body}");
    assert_eq!(status(format!("{}/readyz", node.base)).await, 503);

    admin_sql(&admin, &format!("ALTER ROLE {role} LOGIN")).await;
    let resumed = wait_until(Duration::from_secs(20), || {
        let answer = status(list.clone());
        async move { answer.await == 200 }
    })
    .await;
    assert!(
        resumed,
        "service did not resume after the login worked again"
    );

    drop(node);
    drop(database);
    admin_sql(&admin, &format!("DROP ROLE IF EXISTS {role}")).await;
}
