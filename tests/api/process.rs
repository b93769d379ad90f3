//! The real binary as a process: its log lines, and a graceful stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::json;

struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// Starts the binary on a free port and reads its log until the listening line.
fn start(args: &[&str]) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_marketo-bulk-mock"))
        .args(["--port", "0"])
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (sender, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let first = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("a log line");
    let address = first
        .split("listening on http://")
        .nth(1)
        .map(|rest| rest.split(['"', ' ']).next().unwrap().to_owned())
        .unwrap_or_else(|| panic!("the first line names the address: {first}"));
    (
        Server {
            child,
            lines,
            base: format!("http://{address}"),
        },
        first,
    )
}

/// A token from the server at `base`, for the default client id and this secret.
async fn token(client: &reqwest::Client, base: &str, secret: &str) -> String {
    let url = format!(
        "{base}/identity/oauth/token?grant_type=client_credentials&client_id=mock-client-id&client_secret={secret}"
    );
    let body: Value = json(client.get(url)).await;
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn json_logs_start_with_the_listening_line_and_never_show_secrets_or_tokens() {
    let (mut server, first) = start(&["--log-format", "json", "--client-secret", "s3cret-value"]);
    let line: Value = serde_json::from_str(&first).expect("the first line is JSON");
    assert!(
        line["message"]
            .as_str()
            .unwrap()
            .starts_with("listening on http://127.0.0.1:"),
        "{line}"
    );
    assert_eq!(line["level"], "INFO");
    let client = reqwest::Client::new();
    let token = token(&client, &server.base, "s3cret-value").await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"email\na@b.co\n".to_vec()),
    );
    client
        .post(format!("{}/bulk/v1/leads.json", server.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    let status = server.child.wait().unwrap();
    let rest: Vec<String> = server.lines.try_iter().collect();
    assert!(status.success(), "{status:?}: {rest:?}");
    assert!(
        rest.iter()
            .all(|l| serde_json::from_str::<Value>(l).is_ok()),
        "{rest:?}"
    );
    let everything = rest.join("\n") + &first;
    assert!(
        !everything.contains("s3cret-value") && !everything.contains(&token),
        "{everything}"
    );
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_request_finish_and_exits_zero() {
    let (mut server, first) = start(&[]);
    assert!(first.contains("listening on http://127.0.0.1:"), "{first}");
    let client = reqwest::Client::new();
    let token = token(&client, &server.base, "mock-client-secret").await;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let body = reqwest::Body::wrap_stream(futures_util::stream::unfold(
        receiver,
        |mut receiver| async move { receiver.recv().await.map(|chunk| (chunk, receiver)) },
    ));
    let upload = tokio::spawn(
        client
            .post(format!("{}/bulk/v1/leads.json", server.base))
            .bearer_auth(&token)
            .header("content-type", "multipart/form-data; boundary=B")
            .body(body)
            .send(),
    );
    sender
        .send(Ok(
            b"--B\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nemail\n".to_vec(),
        ))
        .await
        .unwrap();
    loop {
        let limits: Value = client
            .get(format!("{}/_mock/limits", server.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if limits["usage"]["inFlight"] == 1 {
            break;
        }
        tokio::task::yield_now().await;
    }
    Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    sender
        .send(Ok(b"late@example.com\n\r\n--B--\r\n".to_vec()))
        .await
        .unwrap();
    drop(sender);
    let response: Value = upload.await.unwrap().unwrap().json().await.unwrap();
    assert_eq!(
        response["success"], true,
        "the in-flight upload completes: {response}"
    );
    let status = tokio::task::spawn_blocking(move || server.child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "{status:?}");
}
