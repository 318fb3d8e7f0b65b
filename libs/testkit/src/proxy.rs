//! A proxy that stands between the gateway and a service, and at a chosen
//! request kills a process (`kill -9`): the service itself, before it sees
//! the request or after it has answered it (the answer is then lost), or the
//! gateway that sent it. Every other request passes through, one per
//! connection (`Connection: close`), so that requests are told apart without
//! reading HTTP further than a request's head and length.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// When, relative to the request, the process is killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// As the request arrives: the service never sees it.
    Before,
    /// Once the service has answered: the answer never reaches the caller.
    After,
}

/// One fault to inject: at the first request whose line starts with
/// `request` (`"POST /venues"`), kill the process `pid` at `moment`.
#[derive(Debug, Clone)]
pub struct Fault {
    pub request: String,
    pub pid: u32,
    pub moment: Moment,
}

/// The proxy, on a loopback port.
pub struct FaultProxy {
    pub url: String,
    upstream: Arc<Mutex<String>>,
    fault: Arc<Mutex<Option<Fault>>>,
    /// How many faults were injected.
    injected: Arc<Mutex<u32>>,
}

/// The longest a request or an answer through the proxy may take.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);

impl FaultProxy {
    /// A proxy with no upstream yet ([`Self::forward_to`]).
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let upstream = Arc::new(Mutex::new(String::new()));
        let fault: Arc<Mutex<Option<Fault>>> = Arc::new(Mutex::new(None));
        let injected = Arc::new(Mutex::new(0));
        let (to, armed, count) = (upstream.clone(), fault.clone(), injected.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (to, armed, count) = (to.clone(), armed.clone(), count.clone());
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(EXCHANGE_TIMEOUT, exchange(client, &to, &armed, &count)).await;
                });
            }
        });
        Self { url, upstream, fault, injected }
    }

    /// Where requests go: the service's URL (`http://127.0.0.1:PORT`).
    pub fn forward_to(&self, url: &str) {
        *self.upstream.lock().expect("the upstream") = url.trim_start_matches("http://").to_owned();
    }

    /// Arms one fault; it fires once.
    pub fn arm(&self, fault: Fault) {
        *self.fault.lock().expect("the fault") = Some(fault);
    }

    /// How many faults have fired.
    pub fn injected(&self) -> u32 {
        *self.injected.lock().expect("the count")
    }
}

async fn exchange(
    mut client: TcpStream,
    upstream: &Mutex<String>,
    armed: &Mutex<Option<Fault>>,
    count: &Mutex<u32>,
) -> std::io::Result<()> {
    let request = read_request(&mut client).await?;
    let line = String::from_utf8_lossy(&request[..request.iter().position(|&b| b == b'\r').unwrap_or(0)]).into_owned();
    let fault = {
        let mut armed = armed.lock().expect("the fault");
        match armed.as_ref() {
            Some(fault) if line.starts_with(&fault.request) => armed.take(),
            _ => None,
        }
    };
    let kill = |fault: &Fault| {
        let _ = std::process::Command::new("kill").args(["-KILL", &fault.pid.to_string()]).status();
        *count.lock().expect("the count") += 1;
    };
    if let Some(fault) = fault.as_ref().filter(|fault| fault.moment == Moment::Before) {
        kill(fault);
        return Ok(());
    }
    let address = upstream.lock().expect("the upstream").clone();
    let mut service = TcpStream::connect(address).await?;
    service.write_all(&request).await?;
    let mut answer = Vec::new();
    service.read_to_end(&mut answer).await?;
    if let Some(fault) = &fault {
        kill(fault);
        return Ok(());
    }
    client.write_all(&answer).await?;
    client.shutdown().await
}

/// One request's head and body (by `Content-Length`), its `Connection`
/// header replaced by `Connection: close`.
async fn read_request(client: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut chunk = [0_u8; 8192];
    let head_end = loop {
        let read = client.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        bytes.extend_from_slice(&chunk[..read]);
        if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    while bytes.len() < head_end + length {
        let read = client.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        bytes.extend_from_slice(&chunk[..read]);
    }
    let kept: Vec<&str> =
        head.trim_end().split("\r\n").filter(|line| !line.to_ascii_lowercase().starts_with("connection:")).collect();
    let mut request = format!("{}\r\nConnection: close\r\n\r\n", kept.join("\r\n")).into_bytes();
    request.extend_from_slice(&bytes[head_end..head_end + length]);
    Ok(request)
}
