//! `GET /api/users/stats`: how many users there are, how many were active
//! recently, and how many hold each role.

use serde::{Deserialize, Serialize};

/// Users per role.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleCounts {
    pub admin: u64,
    pub moderator: u64,
    pub user: u64,
}

/// The users' numbers at one time. "Active" counts users whose
/// `lastActive` is at most 24 h (`active24h`) or 7 days (`active7d`)
/// before that time, as the list's `active` filter decides it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserStats {
    pub total: u64,
    #[serde(rename = "active24h")]
    pub active_24h: u64,
    #[serde(rename = "active7d")]
    pub active_7d: u64,
    pub by_role: RoleCounts,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names() {
        let json = serde_json::to_value(UserStats::default()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "total": 0, "active24h": 0, "active7d": 0,
                "byRole": {"admin": 0, "moderator": 0, "user": 0}
            })
        );
    }
}
