//! Hand-driven servers for transport failures the tfLink stand-in cannot imitate: raw
//! HTTP responses byte for byte (wrong lengths, stalls, redirects), the same over TLS
//! with a private CA, and a CONNECT/forwarding proxy that records what it relayed. Each
//! runs on 127.0.0.1 in background threads, and every loop is bounded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a raw server writes after reading one request's headers.
pub type Responder = Arc<dyn Fn(&str, &mut dyn Write) + Send + Sync>;

/// A plain HTTP server answering every connection with `respond(request_head, stream)`.
/// Returns its base URL and the request heads it received.
pub fn http(respond: Responder) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let heads = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&heads);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64).flatten() {
            let respond = Arc::clone(&respond);
            let recorded = Arc::clone(&recorded);
            std::thread::spawn(move || serve(stream, &*respond, &recorded));
        }
    });
    (base, heads)
}

fn serve<S: Read + Write>(
    stream: S,
    respond: &(dyn Fn(&str, &mut dyn Write) + Send + Sync),
    recorded: &Mutex<Vec<String>>,
) {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    recorded.lock().unwrap().push(head.clone());
    let stream = reader.get_mut();
    respond(&head, stream);
    let _ = stream.flush();
}

/// Keeps a connection open without sending anything more, for at most `limit`.
pub fn stall(limit: Duration) {
    std::thread::sleep(limit);
}

/// A certificate authority and a server certificate for 127.0.0.1 signed by it.
pub struct Tls {
    pub ca_pem: String,
    config: Arc<rustls::ServerConfig>,
}

impl Default for Tls {
    fn default() -> Self {
        Self::new()
    }
}

impl Tls {
    pub fn new() -> Tls {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "share test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let server_key = rcgen::KeyPair::generate().unwrap();
        let server_params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![server_cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
            )
            .unwrap();
        Tls {
            ca_pem: ca_cert.pem(),
            config: Arc::new(config),
        }
    }

    /// An HTTPS server like [`http`], with this certificate.
    pub fn https(&self, respond: Responder) -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("https://{}", listener.local_addr().unwrap());
        let heads = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&heads);
        let config = Arc::clone(&self.config);
        std::thread::spawn(move || {
            for tcp in listener.incoming().take(64).flatten() {
                let respond = Arc::clone(&respond);
                let recorded = Arc::clone(&recorded);
                let config = Arc::clone(&config);
                std::thread::spawn(move || {
                    let Ok(connection) = rustls::ServerConnection::new(config) else {
                        return;
                    };
                    let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
                    serve(
                        rustls::StreamOwned::new(connection, tcp),
                        &*respond,
                        &recorded,
                    );
                });
            }
        });
        (base, heads)
    }
}

/// An HTTP proxy: `CONNECT` requests are tunnelled, absolute-form requests forwarded.
/// Returns its URL and the first line of every request it handled.
pub fn proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let lines = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&lines);
    std::thread::spawn(move || {
        for client in listener.incoming().take(64).flatten() {
            let recorded = Arc::clone(&recorded);
            std::thread::spawn(move || relay(client, &recorded));
        }
    });
    (url, lines)
}

fn relay(client: TcpStream, recorded: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let end = line == "\r\n";
        head.push(line);
        if end {
            break;
        }
    }
    let request_line = head[0].trim_end().to_owned();
    recorded.lock().unwrap().push(request_line.clone());
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (authority, forward) = if method == "CONNECT" {
        (target.to_owned(), None)
    } else {
        let without_scheme = target.strip_prefix("http://").unwrap_or(target);
        let authority = without_scheme.split('/').next().unwrap_or("").to_owned();
        (authority, Some(head.concat()))
    };
    let Ok(mut upstream) = TcpStream::connect(&authority) else {
        return;
    };
    let mut client = client;
    match forward {
        None => client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .unwrap(),
        Some(head) => upstream.write_all(head.as_bytes()).unwrap(),
    }
    // Bytes the reader already buffered belong upstream.
    let buffered = reader.buffer().to_vec();
    upstream.write_all(&buffered).unwrap();
    let mut upstream_read = upstream.try_clone().unwrap();
    let mut client_write = client.try_clone().unwrap();
    let down = std::thread::spawn(move || {
        let _ = std::io::copy(&mut upstream_read, &mut client_write);
        let _ = client_write.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut reader.into_inner(), &mut upstream);
    let _ = upstream.shutdown(std::net::Shutdown::Write);
    let _ = down.join();
}

/// A response head with a body length.
pub fn head(status: &str, content_type: &str, length: usize) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    )
}
