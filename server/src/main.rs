//! The Rollcall server: serves the app and the API, and holds the command line for operators.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use server::{config, config::Config, db, http};

#[derive(Parser)]
#[command(
    name = "rollcall",
    version,
    about = "Attendance case management for schools in England"
)]
struct Cli {
    /// The PostgreSQL database, as postgres://user:password@host:port/database.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database and serve Rollcall (the default).
    Serve,
    /// Apply the database migrations and stop.
    Migrate,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    config::init_logging();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the whole chain of causes on one line: what failed and why.
            eprintln!("rollcall: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_env(cli.database_url)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let pool = db::connect(&config.database_url).await?;
            db::migrate(&pool).await?;
            http::serve(config, pool).await
        }
        Command::Migrate => {
            let pool = db::connect(&config.database_url).await?;
            db::migrate(&pool).await?;
            println!("The database is migrated.");
            Ok(())
        }
    }
}
