//! MQTT transport for attention messages (rumqttc's sync client, its event loop on a thread).
//!
//! Publishing never blocks the caller: messages go into a bounded request queue; while the
//! broker is unreachable the queue fills and further messages are refused (the caller counts
//! and warns). The thread reconnects every [`RETRY`] and reports link changes through a
//! callback, once per change, so an outage gives one warning, not one per message.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rumqttc::{Client, Event, MqttOptions, Outgoing, Packet, QoS};

/// Delay between reconnection attempts.
pub const RETRY: Duration = Duration::from_secs(1);
/// Requests that may wait for the broker.
pub const DEFAULT_QUEUE: usize = 256;

/// `mqtt://host[:port]/topic` (port 1883 by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttUrl {
    pub host: String,
    pub port: u16,
    pub topic: String,
}

impl MqttUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let example = "e.g. mqtt://127.0.0.1:1883/course/42/attention";
        let rest = url
            .strip_prefix("mqtt://")
            .ok_or_else(|| format!("'{url}' is not an mqtt:// URL ({example})"))?;
        let (authority, topic) = rest
            .split_once('/')
            .ok_or_else(|| format!("'{url}' has no topic after the host ({example})"))?;
        if topic.is_empty() {
            return Err(format!("'{url}' has an empty topic ({example})"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| format!("'{url}': port '{p}' is not 1..65535 ({example})"))?,
            ),
            None => (authority, 1883),
        };
        if host.is_empty() {
            return Err(format!("'{url}' has no host ({example})"));
        }
        Ok(Self {
            host: host.to_string(),
            port,
            topic: topic.to_string(),
        })
    }

    /// A topic to publish on may not hold the wildcards `+` and `#`.
    pub fn check_publishable(&self) -> Result<(), String> {
        if self.topic.contains(['+', '#']) {
            return Err(format!(
                "topic '{}' has MQTT wildcards (+ or #): they are for subscribing, publish to a plain topic",
                self.topic
            ));
        }
        Ok(())
    }
}

impl std::fmt::Display for MqttUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "mqtt://{}:{}/{}", self.host, self.port, self.topic)
    }
}

/// What the link thread reports.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    /// Connected (or reconnected) to the broker.
    Connected,
    /// The subscription is in place (subscribers only).
    Subscribed,
    /// The broker is unreachable or the connection dropped; retrying every [`RETRY`].
    Down(String),
    /// A message arrived on the subscribed topic.
    Message(Vec<u8>),
}

/// A connection to one broker and topic, publishing or subscribing.
pub struct MqttLink {
    client: Client,
    url: MqttUrl,
    stop: Arc<AtomicBool>,
    done: mpsc::Receiver<()>,
}

fn client_id(role: &str) -> String {
    use std::sync::atomic::AtomicU64;
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "facekit-{role}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl MqttLink {
    /// Starts a publishing link; `queue` bounds the messages waiting for the broker.
    pub fn publisher(
        url: &MqttUrl,
        queue: usize,
        on_event: impl Fn(LinkEvent) + Send + 'static,
    ) -> Self {
        Self::start(url, queue, false, on_event)
    }

    /// Starts a subscribing link; (re)subscribes on every connection.
    pub fn subscriber(url: &MqttUrl, on_event: impl Fn(LinkEvent) + Send + 'static) -> Self {
        Self::start(url, 16, true, on_event)
    }

    fn start(
        url: &MqttUrl,
        queue: usize,
        subscribe: bool,
        on_event: impl Fn(LinkEvent) + Send + 'static,
    ) -> Self {
        let mut options = MqttOptions::new(
            client_id(if subscribe { "sub" } else { "pub" }),
            url.host.clone(),
            url.port,
        );
        options.set_keep_alive(Duration::from_secs(5));
        options.set_clean_session(true);
        let (client, mut connection) = Client::new(options, queue.max(1));
        let stop = Arc::new(AtomicBool::new(false));
        let (done_tx, done) = mpsc::channel();
        let thread_client = client.clone();
        let thread_stop = stop.clone();
        let topic = url.topic.clone();
        // Without a thread (spawning failed) nothing drains the queue: publishes are then
        // refused once it is full, which the caller already treats as dropped messages.
        let _ = std::thread::Builder::new()
            .name("facekit-mqtt".into())
            .spawn(move || {
                let mut up = None::<bool>;
                loop {
                    let stopping = thread_stop.load(Ordering::Acquire);
                    match connection.recv_timeout(Duration::from_millis(200)) {
                        Err(rumqttc::RecvTimeoutError::Timeout) => {}
                        Err(rumqttc::RecvTimeoutError::Disconnected) => break,
                        Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) => {
                            up = Some(true);
                            if subscribe {
                                let _ = thread_client.try_subscribe(topic.clone(), QoS::AtMostOnce);
                            }
                            on_event(LinkEvent::Connected);
                        }
                        Ok(Ok(Event::Incoming(Packet::SubAck(_)))) => {
                            on_event(LinkEvent::Subscribed)
                        }
                        Ok(Ok(Event::Incoming(Packet::Publish(p)))) => {
                            on_event(LinkEvent::Message(p.payload.to_vec()))
                        }
                        Ok(Ok(Event::Outgoing(Outgoing::Disconnect))) => break,
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => {
                            if stopping {
                                break;
                            }
                            if up != Some(false) {
                                on_event(LinkEvent::Down(e.to_string()));
                            }
                            up = Some(false);
                            // Sleep in steps so that closing is not delayed by a retry.
                            let until = Instant::now() + RETRY;
                            while Instant::now() < until && !thread_stop.load(Ordering::Acquire) {
                                std::thread::sleep(Duration::from_millis(50));
                            }
                        }
                    }
                    if stopping && up != Some(true) {
                        break;
                    }
                }
                let _ = done_tx.send(());
            });
        Self {
            client,
            url: url.clone(),
            stop,
            done,
        }
    }

    /// Queues a message; an error means it was dropped (queue full: the broker is unreachable).
    pub fn publish(&self, payload: String) -> Result<(), String> {
        self.client
            .try_publish(self.url.topic.clone(), QoS::AtMostOnce, false, payload)
            .map_err(|e| match e {
                rumqttc::ClientError::TryRequest(_) => {
                    "the MQTT send queue is full (broker unreachable)".to_string()
                }
                other => other.to_string(),
            })
    }

    /// Sends what is queued (when connected), disconnects and waits at most `timeout` for it.
    pub fn close(self, timeout: Duration) -> bool {
        let _ = self.client.try_disconnect();
        self.stop.store(true, Ordering::Release);
        self.done.recv_timeout(timeout).is_ok()
    }
}

impl Drop for MqttLink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_with_default_port_and_explain_mistakes() {
        assert_eq!(
            MqttUrl::parse("mqtt://127.0.0.1:1884/course/42/attention").unwrap(),
            MqttUrl {
                host: "127.0.0.1".into(),
                port: 1884,
                topic: "course/42/attention".into()
            }
        );
        let u = MqttUrl::parse("mqtt://broker/t").unwrap();
        assert_eq!(
            (u.port, u.to_string()),
            (1883, "mqtt://broker:1883/t".to_string())
        );
        for bad in [
            "http://x/t",
            "mqtt://host",
            "mqtt://host/",
            "mqtt://:1883/t",
            "mqtt://h:99999/t",
            "mqtt://h:0/t",
        ] {
            assert!(MqttUrl::parse(bad).is_err(), "{bad}");
        }
        assert!(
            MqttUrl::parse("mqtt://h/a/#")
                .unwrap()
                .check_publishable()
                .is_err()
        );
        assert!(
            MqttUrl::parse("mqtt://h/a/b")
                .unwrap()
                .check_publishable()
                .is_ok()
        );
    }

    #[test]
    fn unreachable_broker_reports_down_once_and_never_blocks() {
        // A port nobody listens on: bind then drop to find one.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = MqttUrl::parse(&format!("mqtt://127.0.0.1:{port}/t")).unwrap();
        let (tx, rx) = mpsc::channel();
        let link = MqttLink::publisher(&url, 4, move |e| {
            let _ = tx.send(e);
        });
        let started = Instant::now();
        let mut refused = 0;
        for i in 0..50 {
            if link.publish(format!("{i}")).is_err() {
                refused += 1;
            }
        }
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "publishing blocked"
        );
        assert!(refused >= 40, "queue not bounded: {refused} refused");
        let first = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(matches!(first, LinkEvent::Down(_)), "{first:?}");
        std::thread::sleep(Duration::from_millis(2500));
        assert!(rx.try_recv().is_err(), "down reported more than once");
        assert!(
            link.close(Duration::from_secs(3)),
            "link thread did not stop"
        );
    }
}
