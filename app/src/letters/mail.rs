//! Emailing a letter through SMTP. Rollcall speaks plain SMTP to a relay the school runs or
//! trusts (usually the machine's own mail server on localhost), which does TLS and delivery
//! onwards; so it never holds a mail provider's password. The server's settings
//! (`ROLLCALL_SMTP_*`, see `server/src/config.rs`) choose the relay.

use std::time::Duration;

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};

/// Where letters are emailed from, or `None` when the server has no relay set up.
#[derive(Clone, Debug, Default)]
pub struct MailSettings {
    pub smtp: Option<SmtpRelay>,
}

#[derive(Clone, Debug)]
pub struct SmtpRelay {
    pub host: String,
    pub port: u16,
    /// The sender, like `Oakfield Academy <attendance@oakfield.example>`.
    pub from: String,
}

/// What a person sees when email is not set up.
pub const NOT_CONFIGURED: &str = "Email is not set up on this server: ask whoever runs Rollcall to \
     set ROLLCALL_SMTP_HOST (and ROLLCALL_SMTP_PORT, ROLLCALL_SMTP_FROM) to the school's mail \
     relay. Print the letter or download the PDF meanwhile.";

/// Sends one plain-text email; the error is the relay's answer, in words, for the delivery log.
pub async fn send(
    relay: &SmtpRelay,
    to_name: &str,
    to_address: &str,
    subject: &str,
    body: &str,
) -> Result<(), String> {
    let from: Mailbox = relay
        .from
        .parse()
        .map_err(|e| format!("The sender address {:?} is not valid: {e}", relay.from))?;
    let to = Mailbox::new(
        (!to_name.trim().is_empty()).then(|| to_name.trim().to_string()),
        to_address
            .trim()
            .parse()
            .map_err(|e| format!("{to_address:?} is not an email address: {e}"))?,
    );
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_string())
        .map_err(|e| format!("The email could not be made: {e}"))?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(relay.host.as_str())
        .port(relay.port)
        .timeout(Some(Duration::from_secs(30)))
        .build();
    transport.send(message).await.map(|_| ()).map_err(|e| {
        format!(
            "The mail relay {}:{} refused it: {e}",
            relay.host, relay.port
        )
    })
}
