//! The Rollcall server: serves the app and the API, and holds the command line for operators.

mod import;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use server::{
    config,
    config::Config,
    db, http,
    seed::{self, DemoOptions},
    setup,
};

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
    /// Fill the database with made-up data.
    Seed {
        #[command(subcommand)]
        what: SeedCommand,
    },
    /// Create the first trust administrator of a real installation (and the trust, if new).
    CreateAdmin {
        /// The trust's name, for example "Riverside Learning Trust".
        #[arg(long)]
        trust: String,
        #[arg(long)]
        email: String,
        /// The administrator's name, as colleagues will see it.
        #[arg(long)]
        name: String,
        /// Read the password from the first line of standard input instead of asking.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Import a CSV file from a management information system; nothing is written if any row
    /// is wrong, and every wrong row is listed.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Apply the retention policy (docs/retention.md) now: remove register marks past 6 years and
    /// the records of pupils who left more than 6 years ago. The server does this once a day.
    Retention {
        /// Say what would be removed, and remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Add a school to a trust.
    CreateSchool {
        #[arg(long)]
        trust: String,
        /// The DfE's six-digit unique reference number.
        #[arg(long)]
        urn: String,
        #[arg(long)]
        name: String,
        /// primary, secondary, all_through, special or alternative_provision.
        #[arg(long)]
        phase: String,
        /// The local authority's three-digit number.
        #[arg(long)]
        la_code: String,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Pupils with their year groups, forms, flags and up to two contacts (docs/import.md).
    Pupils {
        /// The school's six-digit URN.
        #[arg(long)]
        school: String,
        /// The CSV file exported from the MIS.
        file: PathBuf,
    },
    /// Register marks: UPN, date, session, code and minutes late (docs/import.md).
    Marks {
        /// The school's six-digit URN.
        #[arg(long)]
        school: String,
        /// The CSV file exported from the MIS.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum SeedCommand {
    /// A demo trust: schools, pupils, contacts, staff and a year's marks, all made up.
    Demo(DemoOptions),
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
    let pool = db::connect(&config.database_url).await?;
    db::migrate(&pool).await?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            server::cases::spawn_engine(pool.clone());
            http::serve(config, pool).await
        }
        Command::Migrate => {
            println!("The database is migrated.");
            Ok(())
        }
        Command::Seed {
            what: SeedCommand::Demo(options),
        } => {
            println!("{}", seed::seed_demo(&pool, &options).await?);
            Ok(())
        }
        Command::CreateAdmin {
            trust,
            email,
            name,
            password_stdin,
        } => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                line.trim_end_matches(['\r', '\n']).to_string()
            } else {
                rpassword::prompt_password(format!("Password for {email}: "))?
            };
            setup::create_first_admin(
                &pool,
                setup::FirstAdmin {
                    trust: &trust,
                    email: &email,
                    name: &name,
                    password: &password,
                },
            )
            .await?;
            println!("{email} is a trust administrator of {trust} and can sign in now.");
            Ok(())
        }
        Command::Import { what } => {
            let (kind, school, file) = match what {
                ImportCommand::Pupils { school, file } => {
                    (app::import::ImportKind::Pupils, school, file)
                }
                ImportCommand::Marks { school, file } => {
                    (app::import::ImportKind::Marks, school, file)
                }
            };
            import::run(&pool, kind, &school, &file).await
        }
        Command::Retention { dry_run } => {
            print!("{}", server::retention::run(&pool, dry_run).await?);
            Ok(())
        }
        Command::CreateSchool {
            trust,
            urn,
            name,
            phase,
            la_code,
        } => {
            setup::create_school(
                &pool,
                setup::NewSchool {
                    trust: &trust,
                    urn: &urn,
                    name: &name,
                    phase: &phase,
                    la_code: &la_code,
                },
            )
            .await?;
            println!("{name} (URN {urn}) is part of {trust}.");
            Ok(())
        }
    }
}
