//! Settings, all from the environment, each with a default that suits `make run`.

use anyhow::{Context, bail};
use leptos::config::LeptosOptions;

/// The name of the wasm, JS and CSS bundles, as `[[workspace.metadata.leptos]]` gives it.
pub const OUTPUT_NAME: &str = "rollcall";

pub struct Config {
    pub database_url: String,
    /// Where pages, assets and the API are served, and the site folder cargo-leptos built.
    pub leptos_options: LeptosOptions,
    /// Cookies are `Secure` (HTTPS only) everywhere but local development.
    pub secure_cookies: bool,
    /// The SMTP relay letters are emailed through, if any.
    pub mail: app::letters::MailSettings,
}

impl Config {
    pub fn from_env(database_url: Option<String>) -> anyhow::Result<Self> {
        let Some(database_url) = database_url.filter(|url| !url.trim().is_empty()) else {
            bail!(
                "DATABASE_URL is not set. `make run` starts Rollcall's own database and sets it; \
                 to use another database, set DATABASE_URL=postgres://user:password@host:port/database"
            );
        };
        let mut leptos_options = leptos::config::get_configuration(None)
            .context("reading the LEPTOS_* settings")?
            .leptos_options;
        // cargo-leptos builds the name in; a plain `cargo build` of the server does not.
        if leptos_options.output_name.is_empty() {
            leptos_options.output_name = OUTPUT_NAME.into();
        }
        let secure_cookies = match std::env::var("ROLLCALL_SECURE_COOKIES").as_deref() {
            Ok("true" | "1") => true,
            Ok("false" | "0") => false,
            Ok(other) => bail!("ROLLCALL_SECURE_COOKIES must be true or false, not {other:?}"),
            Err(_) => leptos_options.env == leptos::config::Env::PROD,
        };
        Ok(Self {
            database_url,
            leptos_options,
            secure_cookies,
            mail: mail_from_env()?,
        })
    }
}

/// The SMTP relay from `ROLLCALL_SMTP_HOST`, `ROLLCALL_SMTP_PORT` (25) and `ROLLCALL_SMTP_FROM`.
/// Without a host, email is "not configured" and the letter page says so; Rollcall names no mail
/// server of its own accord.
fn mail_from_env() -> anyhow::Result<app::letters::MailSettings> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let Some(host) = var("ROLLCALL_SMTP_HOST") else {
        return Ok(app::letters::MailSettings::default());
    };
    let port = match var("ROLLCALL_SMTP_PORT") {
        Some(port) => port
            .trim()
            .parse()
            .with_context(|| format!("ROLLCALL_SMTP_PORT must be a port number, not {port:?}"))?,
        None => 25,
    };
    let Some(from) = var("ROLLCALL_SMTP_FROM") else {
        bail!(
            "ROLLCALL_SMTP_HOST is set but ROLLCALL_SMTP_FROM is not: set it to the address \
             letters come from, like \"Oakfield Academy <attendance@oakfield.example>\""
        );
    };
    Ok(app::letters::MailSettings {
        smtp: Some(app::letters::mail::SmtpRelay {
            host: host.trim().to_string(),
            port,
            from,
        }),
    })
}

/// Logs go to standard error, one line per event; `ROLLCALL_LOG_FORMAT=json` makes them JSON for a
/// log collector, and `RUST_LOG` chooses what is logged.
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("ROLLCALL_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
