//! An import over HTTP when the server dies in the middle: the real binary is SIGKILLed
//! while a big import writes, started again on the same database, and the job says
//! `interrupted` with the rows it wrote, which are whole chunks, on every backend.

use crate::cli::Cli;
use crate::cli_serve::{Server, value_after};
use reqwest::Client;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Rows of the big file: more than one group of 50 chunks of 1000, so one is written
/// while the next is in flight.
const ROWS: usize = 110_000;

fn big_csv() -> Vec<u8> {
    let mut csv = String::from("email,name\n");
    for i in 0..ROWS {
        csv.push_str(&format!("crash{i}@example.com,Row {i}\n"));
    }
    csv.into_bytes()
}

/// `serve` on `cli`'s database, another node declaring a job abandoned after 5 s.
fn serve(cli: &Cli) -> Server {
    let mut command = cli.command();
    command
        .env("PURRLIST_IMPORT_ABANDONED_AFTER_SECONDS", "5")
        .args(["serve", "--listen", "127.0.0.1:0"]);
    Server::spawn(command)
}

async fn get(client: &Client, url: String, key: &str) -> Value {
    let reply = client.get(&url).bearer_auth(key).send().await.expect("GET");
    let status = reply.status();
    let body: Value = reply.json().await.expect("json");
    assert_eq!(status, 200, "{url}: {body}");
    body
}

/// Polls the job until `done` says so, by the clock.
async fn job_until(
    client: &Client,
    url: &str,
    key: &str,
    limit: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let job = get(client, url.to_owned(), key).await;
        if done(&job) {
            return job;
        }
        assert!(Instant::now() < deadline, "gave up waiting: {job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_killed_import_is_interrupted_with_whole_chunks_written() {
    let body = big_csv();
    for cli in Cli::each_backend("a_killed_import_is_interrupted_with_whole_chunks_written") {
        let client = Client::new();
        let server = serve(&cli);
        let lines = server.until_ready();
        let workspace = value_after(&lines, "workspace:").to_owned();
        let key = value_after(&lines, "api key:").to_owned();
        let address = value_after(&lines, "purrlist listening on").to_owned();

        let reply = client
            .post(format!("{address}/v1/imports?newsletter_id={workspace}"))
            .bearer_auth(&key)
            .header("content-type", "text/csv")
            .body(body.clone())
            .send()
            .await
            .expect("POST");
        assert_eq!(reply.status(), 202);
        let id = reply.json::<Value>().await.expect("json")["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let path = format!("/v1/imports/{id}");
        let running = job_until(
            &client,
            &format!("{address}{path}"),
            &key,
            Duration::from_secs(300),
            |job| {
                let open = job["status"] == "queued" || job["status"] == "running";
                assert!(open, "it must still run when killed: {job}");
                job["rows_written"].as_u64() > Some(0)
            },
        )
        .await;
        drop(server); // SIGKILL

        let server = serve(&cli);
        let lines = server.until_ready();
        let address = value_after(&lines, "purrlist listening on").to_owned();
        let job = job_until(
            &client,
            &format!("{address}{path}"),
            &key,
            Duration::from_secs(30),
            |job| job["status"] != "running",
        )
        .await;
        assert_eq!(job["status"], "interrupted", "{job}");
        let written = job["rows_written"].as_u64().expect("rows_written");
        let in_flight = job["rows_in_flight"].as_u64().expect("rows_in_flight");
        assert!(written >= running["rows_written"].as_u64().expect("written before"));
        let message = job["message"].as_str().expect("message");
        assert!(
            message.contains(&format!("The first {written} valid row(s)")),
            "{message}"
        );
        let contacts = get(
            &client,
            format!("{address}/v1/contacts?newsletter_id={workspace}&limit=1"),
            &key,
        )
        .await["total"]
            .as_u64()
            .expect("total");
        assert!(
            (written..=written + in_flight).contains(&contacts),
            "{contacts} contacts; the job says {written} written, {in_flight} in flight"
        );
        assert_eq!(contacts % 1000, 0, "whole chunks only: {contacts}");
        let feed = get(
            &client,
            format!("{address}/v1/events?newsletter_id={workspace}&limit=1"),
            &key,
        )
        .await;
        assert_eq!(feed["data"][0]["source"], "import:csv", "{feed}");
        if cli.is_sqlite() {
            let spool = cli.sqlite_file().with_extension("db.imports");
            let left: Vec<_> = std::fs::read_dir(&spool).expect("spool dir").collect();
            assert!(
                left.is_empty(),
                "the body of the ended job is removed: {left:?}"
            );
        }
        assert!(server.terminate());
    }
}
