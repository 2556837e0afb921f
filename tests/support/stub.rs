//! A loopback stand-in for AWS that answers every request with one AWS error, in the form
//! the request's protocol expects: XML for query protocols (IAM, STS), JSON with
//! `x-amzn-ErrorType` otherwise (DynamoDB, Lambda, API Gateway, tagging).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// The error every request gets.
#[derive(Debug, Clone)]
pub struct AwsErrorAnswer {
    pub status: u16,
    pub code: &'static str,
    pub message: &'static str,
}

/// A running stub; it stops with the test process.
pub struct Stub {
    pub endpoint: String,
    /// The access key ID of each request, from its SigV4 `Authorization` header.
    pub access_keys: Arc<Mutex<Vec<String>>>,
}

impl Stub {
    pub fn start(answer: AwsErrorAnswer) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let endpoint = format!("http://{}", listener.local_addr().expect("an address"));
        let access_keys = Arc::new(Mutex::new(Vec::new()));
        let keys = access_keys.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (answer, keys) = (answer.clone(), keys.clone());
                std::thread::spawn(move || serve(stream, &answer, &keys));
            }
        });
        Stub {
            endpoint,
            access_keys,
        }
    }
}

/// Reads one request and answers it with the error; the connection is then closed.
fn serve(stream: TcpStream, answer: &AwsErrorAnswer, keys: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream);
    let mut content_length = 0;
    let mut query_protocol = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => content_length = value.parse().unwrap_or(0),
            "content-type" => query_protocol = value.contains("x-www-form-urlencoded"),
            "authorization" => {
                if let Some(key) = value
                    .split("Credential=")
                    .nth(1)
                    .and_then(|c| c.split('/').next())
                {
                    keys.lock().unwrap().push(key.to_string());
                }
            }
            _ => {}
        }
    }
    let mut body = vec![0; content_length];
    let _ = reader.read_exact(&mut body);
    let (content_type, body) = if query_protocol {
        (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>stub</RequestId></ErrorResponse>",
                answer.code, answer.message
            ),
        )
    } else {
        (
            "application/x-amz-json-1.0",
            format!(
                "{{\"__type\":\"com.amazon.coral.service#{}\",\"message\":\"{}\"}}",
                answer.code, answer.message
            ),
        )
    };
    let response = format!(
        "HTTP/1.1 {} Error\r\ncontent-type: {content_type}\r\nx-amzn-errortype: {}\r\nx-amzn-requestid: stub\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        answer.status,
        answer.code,
        body.len()
    );
    let mut stream = reader.into_inner();
    let _ = stream.write_all(response.as_bytes());
}
