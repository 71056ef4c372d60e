//! The records: every connection interval as the real service logs it.

use std::io::Write;
use std::net::Ipv4Addr;

use anyhow::{Context, Result};

use crate::parse::format::DEFAULT_V2;

use super::*;

/// One endpoint of a generated flow: an interface of the VPC or an outside address.
#[derive(Clone, Copy)]
enum End {
    Eni(usize),
    Outside(Ipv4Addr),
}

/// Writes lines into a reusable buffer, then to the output.
struct LineWriter<W: Write> {
    pub(super) out: W,
    line: Vec<u8>,
    written: u64,
    limit: u64,
}

impl<W: Write> LineWriter<W> {
    fn full(&self) -> bool {
        self.written >= self.limit
    }

    fn num(&mut self, v: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut v = v;
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.line.extend_from_slice(&digits[i..]);
        self.line.push(b' ');
    }

    fn word(&mut self, w: &str) {
        self.line.extend_from_slice(w.as_bytes());
        self.line.push(b' ');
    }

    pub(super) fn addr(&mut self, a: Ipv4Addr) {
        for (k, o) in a.octets().iter().enumerate() {
            if k > 0 {
                self.line.push(b'.');
            }
            self.num(u64::from(*o));
            self.line.pop();
        }
        self.line.push(b' ');
    }

    pub(super) fn finish(&mut self) -> Result<()> {
        if self.full() {
            self.line.clear();
            return Ok(());
        }
        if self.line.last() == Some(&b' ') {
            self.line.pop();
        }
        self.line.push(b'\n');
        self.out
            .write_all(&self.line)
            .context("cannot write the flow log")?;
        self.line.clear();
        self.written += 1;
        Ok(())
    }

    /// One ACCEPT or REJECT record logged at `eni`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn record(
        &mut self,
        eni: &str,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        sport: u16,
        dport: u16,
        proto: u8,
        packets: u64,
        bytes: u64,
        start: i64,
        accept: bool,
    ) -> Result<()> {
        self.word("2");
        self.word(ACCOUNT);
        self.word(eni);
        self.addr(src);
        self.addr(dst);
        self.num(u64::from(sport));
        self.num(u64::from(dport));
        self.num(u64::from(proto));
        self.num(packets);
        self.num(bytes);
        self.num(start as u64);
        self.num((start + INTERVAL - 1) as u64);
        self.word(if accept { "ACCEPT" } else { "REJECT" });
        self.word("OK");
        self.finish()
    }

    /// A NODATA or SKIPDATA line for `eni`.
    fn status(&mut self, eni: &str, start: i64, status: &str) -> Result<()> {
        self.word("2");
        self.word(ACCOUNT);
        self.word(eni);
        for _ in 0..7 {
            self.word("-");
        }
        self.num(start as u64);
        self.num((start + INTERVAL - 1) as u64);
        self.word("-");
        self.word(status);
        self.finish()
    }
}

#[derive(Default)]
pub(super) struct Summary {
    pub(super) lines: u64,
    pub(super) connections: u64,
    pub(super) rejected: u64,
    pub(super) nodata: u64,
    pub(super) skipdata: u64,
}

pub(super) fn write_lines<W: Write>(
    env: &Env,
    args: &GenerateArgs,
    start: i64,
    out: W,
) -> Result<(W, Summary)> {
    let mut rng = Rng::new(args.seed);
    let mut w = LineWriter {
        out,
        line: Vec::with_capacity(256),
        written: 0,
        limit: args.records,
    };
    if args.header {
        w.out
            .write_all(format!("{DEFAULT_V2}\n").as_bytes())
            .context("cannot write the flow log")?;
    }
    let mut summary = Summary::default();
    // About 3.6 lines per event: spread the events evenly over the period.
    let events = (args.records as f64 / 3.6).ceil().max(1.0);
    let span = i64::from(args.hours.max(1)) * 3600;
    let step = span as f64 / events;
    let all: Vec<usize> = (0..env.enis.len()).collect();
    let mut k = 0u64;
    while !w.full() {
        let t = start + (k as f64 * step) as i64;
        let t = (t - t.rem_euclid(60)).min(start + span - INTERVAL);
        k += 1;
        let roll = rng.below(1000);
        // Per mille of events: the service graph, then rejects and status lines.
        let (client, server, port, proto): (End, End, u16, u8) = match roll {
            0..=249 => (
                End::Outside(rng.pick(&env.internet_clients)),
                End::Eni(rng.pick(env.role(Role::Alb))),
                443,
                6,
            ),
            250..=449 => (
                End::Eni(rng.pick(env.role(Role::Alb))),
                End::Eni(rng.pick(env.role(Role::Web))),
                8080,
                6,
            ),
            450..=619 => (
                End::Eni(rng.pick(env.role(Role::Web))),
                End::Eni(rng.pick(env.role(Role::App))),
                8443,
                6,
            ),
            620..=739 => (
                End::Eni(rng.pick(env.role(Role::App))),
                End::Eni(rng.pick(env.role(Role::Db))),
                5432,
                6,
            ),
            740..=859 => (
                End::Eni(rng.pick(env.role(Role::App))),
                End::Eni(rng.pick(env.role(Role::Cache))),
                6379,
                6,
            ),
            860..=894 => {
                let mon = env.role(Role::Monitoring)[0];
                (End::Eni(mon), End::Eni(other(&mut rng, &all, mon)), 9100, 6)
            }
            895..=899 => {
                let b = env.role(Role::Bastion)[0];
                (End::Eni(b), End::Eni(other(&mut rng, &all, b)), 22, 6)
            }
            900..=929 => (
                End::Eni(rng.pick(env.role(Role::App))),
                End::Outside(rng.pick(&env.external_apis)),
                443,
                6,
            ),
            930..=954 => {
                let mon = env.role(Role::Monitoring)[0];
                (
                    End::Eni(other(&mut rng, &all, mon)),
                    End::Eni(mon),
                    8125,
                    17,
                )
            }
            955..=964 => {
                let mon = env.role(Role::Monitoring)[0];
                (End::Eni(mon), End::Eni(other(&mut rng, &all, mon)), 0, 1)
            }
            965..=989 => {
                // An internet scanner, rejected at the interface's security group.
                let target = rng.pick(&all);
                let e = &env.enis[target];
                let src = rng.pick(&env.internet_clients);
                let dport = rng.pick(&[22u16, 23, 445, 3389, 5900]);
                let sport = rng.range(1024, 65535) as u16;
                w.record(&e.id, src, e.addr, sport, dport, 6, 1, 44, t, false)?;
                summary.rejected += 1;
                continue;
            }
            990..=998 => {
                w.status(&env.enis[rng.pick(&all)].id, t, "NODATA")?;
                summary.nodata += 1;
                continue;
            }
            _ => {
                w.status(&env.enis[rng.pick(&all)].id, t, "SKIPDATA")?;
                summary.skipdata += 1;
                continue;
            }
        };
        summary.connections += 1;
        let addr = |e: End| match e {
            End::Eni(i) => env.enis[i].addr,
            End::Outside(a) => a,
        };
        let (c, s) = (addr(client), addr(server));
        let (cport, sport) = if proto == 1 {
            (0, 0)
        } else {
            (rng.range(32768, 60999) as u16, port)
        };
        let packets = rng.range(2, 400);
        let req_bytes = packets * rng.range(60, 400);
        let resp_bytes = packets * rng.range(60, 1400);
        // Logged at the client's interface, then at the server's: request, response.
        for e in [client, server] {
            let End::Eni(i) = e else { continue };
            let id = &env.enis[i].id;
            w.record(id, c, s, cport, sport, proto, packets, req_bytes, t, true)?;
            if proto == 17 {
                // statsd: fire and forget, no response.
                continue;
            }
            w.record(id, s, c, sport, cport, proto, packets, resp_bytes, t, true)?;
        }
    }
    summary.lines = w.written;
    Ok((w.out, summary))
}

/// Any interface but `not`.
fn other(rng: &mut Rng, all: &[usize], not: usize) -> usize {
    loop {
        let i = rng.pick(all);
        if i != not {
            return i;
        }
    }
}
