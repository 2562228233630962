//! The `clients` table: what each client ID likes to be called.

use super::Db;
use crate::client::ClientId;

pub async fn name(db: &Db, client: ClientId) -> sqlx::Result<Option<String>> {
    let name: Option<Option<String>> = sqlx::query_scalar("SELECT name FROM clients WHERE id = $1")
        .bind(client.to_string())
        .fetch_optional(db)
        .await?;
    Ok(name.flatten())
}

pub async fn set_name(db: &Db, client: ClientId, name: &str, now: u64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO clients (id, name, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
    )
    .bind(client.to_string())
    .bind(name)
    .bind(now as i64)
    .execute(db)
    .await?;
    Ok(())
}
