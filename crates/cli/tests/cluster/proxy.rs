//! A TCP proxy in front of each node's peer listener that the test can cut: it tells
//! the calling node by its source address (a node calls its peers from its peer
//! listener's IP, `127.0.0.(10 + id)` here) and drops, or refuses, every connection
//! between two sides of a partition.

use std::collections::BTreeSet;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The loopback address node `id` listens and calls from.
pub fn node_ip(id: u64) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, 10 + u8::try_from(id).unwrap())
}

fn node_of(ip: IpAddr) -> Option<u64> {
    match ip {
        IpAddr::V4(v4) if v4.octets()[..3] == [127, 0, 0] && v4.octets()[3] > 10 => {
            Some(u64::from(v4.octets()[3] - 10))
        }
        _ => None,
    }
}

/// A connection through the proxy: from node `from` to node `to`.
struct Link {
    from: Option<u64>,
    to: u64,
    streams: [TcpStream; 2],
}

#[derive(Default)]
struct State {
    /// Node pairs (either direction) that cannot talk.
    cut: BTreeSet<(u64, u64)>,
    links: Vec<Link>,
}

impl State {
    fn is_cut(&self, from: Option<u64>, to: u64) -> bool {
        from.is_some_and(|from| self.cut.contains(&(from.min(to), from.max(to))))
    }
}

/// The proxies of every node.
#[derive(Clone, Default)]
pub struct Proxies {
    state: Arc<Mutex<State>>,
}

impl Proxies {
    /// Proxies `front` (the address peers know node `to` by) to `back` (where it now
    /// listens), until the test ends.
    pub fn serve(&self, to: u64, front: SocketAddr, back: SocketAddr) {
        let listener = TcpListener::bind(front).unwrap();
        let state = self.state.clone();
        std::thread::spawn(move || {
            for incoming in listener.incoming() {
                let Ok(client) = incoming else { continue };
                let from = client.peer_addr().ok().and_then(|a| node_of(a.ip()));
                if state.lock().unwrap().is_cut(from, to) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect_timeout(&back, Duration::from_secs(1)) else {
                    continue;
                };
                let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
                    continue;
                };
                state.lock().unwrap().links.push(Link {
                    from,
                    to,
                    streams: [c2, s2],
                });
                pipe(client, server);
            }
        });
    }

    /// Cuts every link between `side` and the other nodes of `all`, closing the
    /// connections that cross the cut.
    pub fn partition(&self, side: &[u64], all: &[u64]) {
        let mut state = self.state.lock().unwrap();
        for a in side {
            for b in all.iter().filter(|b| !side.contains(b)) {
                state.cut.insert((*a.min(b), *a.max(b)));
            }
        }
        let State { cut, links } = &mut *state;
        links.retain(|link| {
            let crosses = link
                .from
                .is_some_and(|from| cut.contains(&(from.min(link.to), from.max(link.to))));
            if crosses {
                for stream in &link.streams {
                    let _ = stream.shutdown(Shutdown::Both);
                }
            }
            !crosses
        });
    }

    /// Lets every node reach every other again.
    pub fn heal(&self) {
        self.state.lock().unwrap().cut.clear();
    }
}

/// Copies both ways between `a` and `b` until either side closes.
fn pipe(a: TcpStream, b: TcpStream) {
    let copy = |mut from: TcpStream, mut to: TcpStream| {
        std::thread::spawn(move || {
            let _ = io::copy(&mut from, &mut to);
            let _ = to.shutdown(Shutdown::Write);
            let _ = from.shutdown(Shutdown::Read);
        });
    };
    match (a.try_clone(), b.try_clone()) {
        (Ok(a2), Ok(b2)) => {
            copy(a, b2);
            copy(b, a2);
        }
        _ => {
            let _ = a.shutdown(Shutdown::Both);
            let _ = b.shutdown(Shutdown::Both);
        }
    }
}
