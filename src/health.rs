//! What `GET /healthz` says, decided from what was checked: pure, so each case is unit-tested.
//! A node that cannot reach its database cannot serve (503, so a balancer sends traffic
//! elsewhere); one that lost Redis still serves its own rooms alone, so it answers 200 and says
//! it is degraded.

use serde::Serialize;

/// Whether a dependency answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    Ok,
    Unreachable,
}

/// The cluster link (Redis) as this node sees it; `Disabled` when it runs alone (no `redis_url`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterHealth {
    Disabled,
    Ok,
    Unreachable,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Degraded,
    ShuttingDown,
}

/// The body of `GET /healthz`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Health {
    pub status: Status,
    pub database: Reach,
    pub redis: ClusterHealth,
}

impl Health {
    pub fn of(shutting_down: bool, database: Reach, redis: ClusterHealth) -> Self {
        let status = if shutting_down {
            Status::ShuttingDown
        } else if database == Reach::Unreachable || redis == ClusterHealth::Unreachable {
            Status::Degraded
        } else {
            Status::Ok
        };
        Self {
            status,
            database,
            redis,
        }
    }

    /// Whether a balancer should send this node traffic (200) or not (503).
    pub fn serving(&self) -> bool {
        self.status != Status::ShuttingDown && self.database == Reach::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_with_its_database_serves() {
        let health = Health::of(false, Reach::Ok, ClusterHealth::Disabled);
        assert_eq!(health.status, Status::Ok);
        assert!(health.serving());
        assert_eq!(
            Health::of(false, Reach::Ok, ClusterHealth::Ok).status,
            Status::Ok
        );
    }

    #[test]
    fn without_redis_a_node_is_degraded_but_serves_its_rooms() {
        let health = Health::of(false, Reach::Ok, ClusterHealth::Unreachable);
        assert_eq!(health.status, Status::Degraded);
        assert!(health.serving());
    }

    #[test]
    fn without_its_database_or_while_stopping_a_node_does_not_serve() {
        let health = Health::of(false, Reach::Unreachable, ClusterHealth::Disabled);
        assert_eq!(health.status, Status::Degraded);
        assert!(!health.serving());
        let health = Health::of(true, Reach::Ok, ClusterHealth::Ok);
        assert_eq!(health.status, Status::ShuttingDown);
        assert!(!health.serving());
    }

    #[test]
    fn the_body_uses_the_documented_words() {
        let body = serde_json::to_value(Health::of(
            true,
            Reach::Unreachable,
            ClusterHealth::Disabled,
        ))
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "status": "shutting_down",
                "database": "unreachable",
                "redis": "disabled",
            })
        );
    }
}
