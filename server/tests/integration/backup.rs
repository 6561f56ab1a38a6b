//! Backup and restore end to end: `scripts/backup.sh` dumps a seeded demo trust with the real
//! pg_dump, `scripts/restore.sh` brings it back into a new database, and the two hold the same
//! rows. Restoring over a database that exists is refused.

use std::process::Command;

use crate::common;

use chrono::NaiveDate;
use server::seed::{DemoOptions, seed_demo};
use sqlx::PgPool;

fn script(name: &str) -> Command {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut command = Command::new(root.join("scripts").join(name));
    command.current_dir(root);
    command
}

/// What a restore must bring back: row counts of the tables people care about, and every mark.
async fn fingerprint(pool: &PgPool) -> (Vec<i64>, String) {
    let mut counts = Vec::new();
    for table in [
        "schools",
        "staff",
        "pupils",
        "contacts",
        "marks",
        "cases",
        "audit_log",
    ] {
        counts.push(
            sqlx::query_scalar(&format!("select count(*) from {table}"))
                .fetch_one(pool)
                .await
                .unwrap(),
        );
    }
    let marks: String = sqlx::query_scalar(
        "select md5(string_agg(pupil_id::text || session_date || session || code || is_current,
             ',' order by id)) from marks",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    (counts, marks)
}

#[tokio::test]
async fn a_backup_restores_into_a_new_database_with_every_row() {
    let pool = common::fresh_database().await;
    seed_demo(
        &pool,
        &DemoOptions {
            schools: 1,
            pupils: Some(60),
            through: NaiveDate::from_ymd_opt(2026, 11, 20),
            ..DemoOptions::default()
        },
    )
    .await
    .unwrap();
    let name: String = sqlx::query_scalar("select current_database()")
        .fetch_one(&pool)
        .await
        .unwrap();
    let base = common::database_url();
    let url = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
    let file = std::env::temp_dir().join(format!("{name}.dump"));

    let backup = script("backup.sh")
        .arg(&file)
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    assert!(file.exists());

    let restored_name = format!("{name}_restored");
    let restore = script("restore.sh")
        .arg(&file)
        .arg(&restored_name)
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        restore.status.success(),
        "{}",
        String::from_utf8_lossy(&restore.stderr)
    );
    let restored_url = String::from_utf8(restore.stdout)
        .unwrap()
        .trim()
        .to_string();
    assert!(restored_url.ends_with(&restored_name), "{restored_url}");
    let restored = PgPool::connect(&restored_url).await.unwrap();
    let (counts, marks) = fingerprint(&pool).await;
    assert!(
        counts[4] > 5_000,
        "the demo has a term of marks: {counts:?}"
    );
    assert_eq!(fingerprint(&restored).await, (counts, marks));
    restored.close().await;

    // A second restore under the same name would overwrite: refused, and the first is untouched.
    let again = script("restore.sh")
        .arg(&file)
        .arg(&restored_name)
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("exists"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    sqlx::query(&format!(r#"drop database "{restored_name}" with (force)"#))
        .execute(&pool)
        .await
        .unwrap();
    std::fs::remove_file(&file).unwrap();
}
