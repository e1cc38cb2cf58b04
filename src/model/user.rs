//! Users: the entity, its role and preferences, and the inputs that create
//! or change one (raw as a client sends them, validated into typed values).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{parse_user_id, Email, FieldErrors, Language, Name, Timestamp};

/// What a user may do: admin anything, moderator posts and non-admins'
/// content, user only their own things.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Moderator,
    User,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Moderator, Role::User];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Moderator => "moderator",
            Role::User => "user",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| "role must be one of admin, moderator, user".to_owned())
    }
}

/// Colour scheme a user chose; `system` follows the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Light,
    Dark,
    #[default]
    System,
}

impl FromStr for Theme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "light" => Ok(Theme::Light),
            "dark" => Ok(Theme::Dark),
            "system" => Ok(Theme::System),
            _ => Err("theme must be one of light, dark, system".to_owned()),
        }
    }
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::System => "system",
        }
    }
}

/// A user's display settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Preferences {
    pub theme: Theme,
    pub notifications: bool,
    pub language: Language,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            theme: Theme::System,
            notifications: true,
            language: Language::parse("en").expect("'en' is a language tag"),
        }
    }
}

/// A person with an account, as every read answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: Uuid,
    pub name: Name,
    pub email: Email,
    pub role: Role,
    pub avatar_url: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub last_active: Timestamp,
    pub preferences: Preferences,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    /// Bumped by every change; a write names the version it read.
    pub version: i64,
}

/// Preferences as a client sends them: every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreferencesInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Theme, nullable = false))]
    pub theme: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub notifications: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Language, nullable = false))]
    pub language: Option<String>,
}

/// A validated change to some preferences.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreferencesPatch {
    pub theme: Option<Theme>,
    pub notifications: Option<bool>,
    pub language: Option<Language>,
}

impl PreferencesPatch {
    pub fn apply(&self, to: &mut Preferences) {
        if let Some(t) = self.theme {
            to.theme = t;
        }
        if let Some(n) = self.notifications {
            to.notifications = n;
        }
        if let Some(l) = &self.language {
            to.language = l.clone();
        }
    }

    fn parse(input: &PreferencesInput, errors: &mut FieldErrors) -> Self {
        Self {
            theme: input
                .theme
                .as_deref()
                .and_then(|t| errors.check("preferences.theme", t.parse::<Theme>())),
            notifications: input.notifications,
            language: input
                .language
                .as_deref()
                .and_then(|l| errors.check("preferences.language", Language::parse(l))),
        }
    }
}

/// The body of `POST /api/users` as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewUserInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Name, required = true, nullable = false))]
    pub name: Option<String>,
    /// Stored lower-cased; unique.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Email, required = true, nullable = false))]
    pub email: Option<String>,
    /// `user` when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Role, nullable = false))]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub preferences: Option<PreferencesInput>,
}

/// A user ready to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub name: Name,
    pub email: Email,
    pub role: Role,
    pub preferences: Preferences,
}

fn required<T>(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    match value {
        Some(v) => errors.check(field, parse(v)),
        None => {
            errors.add(field, format!("{field} is required"));
            None
        }
    }
}

impl NewUserInput {
    /// Checks every field; the error lists all bad fields at once.
    pub fn validate(&self) -> Result<NewUser, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = required(&mut errors, "name", self.name.as_deref(), |v| {
            Name::parse(v)
        });
        let email = required(&mut errors, "email", self.email.as_deref(), |v| {
            Email::parse(v)
        });
        let role = match self.role.as_deref() {
            Some(r) => errors.check("role", r.parse::<Role>()),
            None => Some(Role::User),
        };
        let mut preferences = Preferences::default();
        if let Some(p) = &self.preferences {
            PreferencesPatch::parse(p, &mut errors).apply(&mut preferences);
        }
        errors.finish(|| NewUser {
            name: name.expect("checked"),
            email: email.expect("checked"),
            role: role.expect("checked"),
            preferences,
        })
    }
}

/// The body of `PATCH /api/users/{id}` as sent: only the fields to change,
/// at least one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserPatchInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Name, nullable = false))]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Email, nullable = false))]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Role, nullable = false))]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub preferences: Option<PreferencesInput>,
}

/// A validated, non-empty change to a user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserPatch {
    pub name: Option<Name>,
    pub email: Option<Email>,
    pub role: Option<Role>,
    pub preferences: Option<PreferencesPatch>,
}

impl UserPatchInput {
    pub fn validate(&self) -> Result<UserPatch, FieldErrors> {
        let mut errors = FieldErrors::new();
        let patch = UserPatch {
            name: self
                .name
                .as_deref()
                .and_then(|v| errors.check("name", Name::parse(v))),
            email: self
                .email
                .as_deref()
                .and_then(|v| errors.check("email", Email::parse(v))),
            role: self
                .role
                .as_deref()
                .and_then(|v| errors.check("role", v.parse::<Role>())),
            preferences: self
                .preferences
                .as_ref()
                .map(|p| PreferencesPatch::parse(p, &mut errors)),
        };
        if errors.is_empty()
            && patch.name.is_none()
            && patch.email.is_none()
            && patch.role.is_none()
            && patch.preferences.is_none()
        {
            errors.add("body", "a patch must change at least one field");
        }
        errors.finish(|| patch)
    }
}

impl UserPatch {
    /// Applies the change to a copy of `user` (version and times untouched).
    pub fn apply(&self, user: &User) -> User {
        let mut next = user.clone();
        if let Some(n) = &self.name {
            next.name = n.clone();
        }
        if let Some(e) = &self.email {
            next.email = e.clone();
        }
        if let Some(r) = self.role {
            next.role = r;
        }
        if let Some(p) = &self.preferences {
            p.apply(&mut next.preferences);
        }
        next
    }
}

/// Most updates one `PATCH /api/users/batch` may carry.
pub const MAX_BATCH_UPDATES: usize = 100;

/// The body of `PATCH /api/users/batch` as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserBatchInput {
    /// 1 to 100 updates, at most one per user.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, nullable = false, min_items = 1, max_items = 100)
    )]
    pub updates: Option<Vec<UserBatchUpdateInput>>,
}

/// One update of a batch as sent: which user, the version read, the change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserBatchUpdateInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid, required = true, nullable = false))]
    pub id: Option<String>,
    /// The version read; the update applies only to it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::integral::optional_i64"
    )]
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false))]
    pub changes: Option<UserPatchInput>,
}

/// One validated update of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserBatchUpdate {
    pub id: Uuid,
    /// The version the client read; the update applies only to it.
    pub version: i64,
    pub patch: UserPatch,
}

impl UserBatchInput {
    /// Checks every update; errors are keyed `updates` (the list itself)
    /// or `updates[i].<field>`, where a field of `changes` is named as the
    /// single-user PATCH names it (`updates[1].email`,
    /// `updates[0].preferences.theme`) and an empty change is
    /// `updates[i].changes`. Ids must be unique: a repeat is named at
    /// `updates[i].id`.
    pub fn validate(&self) -> Result<Vec<UserBatchUpdate>, FieldErrors> {
        let mut errors = FieldErrors::new();
        let updates = match &self.updates {
            None => {
                errors.add("updates", "updates is required: a list of 1 to 100 updates");
                return Err(errors);
            }
            Some(u) if u.is_empty() || u.len() > MAX_BATCH_UPDATES => {
                errors.add(
                    "updates",
                    format!(
                        "updates must hold 1 to {MAX_BATCH_UPDATES} updates (got {})",
                        u.len()
                    ),
                );
                return Err(errors);
            }
            Some(u) => u,
        };
        let mut seen: std::collections::HashMap<Uuid, usize> = Default::default();
        let mut out = Vec::with_capacity(updates.len());
        for (i, update) in updates.iter().enumerate() {
            let at = |field: &str| format!("updates[{i}].{field}");
            let id = match update.id.as_deref() {
                None => {
                    errors.add(at("id"), "id is required");
                    None
                }
                Some(raw) => match parse_user_id(raw, "id") {
                    Err(message) => {
                        errors.add(at("id"), message);
                        None
                    }
                    Ok(id) => match seen.get(&id) {
                        Some(first) => {
                            errors.add(
                                at("id"),
                                format!("this user is already updated by updates[{first}]"),
                            );
                            None
                        }
                        None => {
                            seen.insert(id, i);
                            Some(id)
                        }
                    },
                },
            };
            if update.version.is_none() {
                errors.add(at("version"), "version is required: the version you read");
            }
            let patch = match &update.changes {
                None => {
                    errors.add(at("changes"), "changes is required");
                    None
                }
                Some(changes) => match changes.validate() {
                    Ok(patch) => Some(patch),
                    Err(bad) => {
                        for (field, message) in bad.0 {
                            let field = if field == "body" {
                                "changes".to_owned()
                            } else {
                                field
                            };
                            errors.add(at(&field), message);
                        }
                        None
                    }
                },
            };
            if let (Some(id), Some(version), Some(patch)) = (id, update.version, patch) {
                out.push(UserBatchUpdate { id, version, patch });
            }
        }
        errors.finish(|| out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_names_each_bad_update() {
        let id = "0190a000-0000-7000-8000-000000000001";
        let ok = |name: &str| UserBatchUpdateInput {
            id: Some(id.into()),
            version: Some(1),
            changes: Some(UserPatchInput {
                name: Some(name.into()),
                ..Default::default()
            }),
        };
        let one = UserBatchInput {
            updates: Some(vec![ok("A")]),
        };
        assert_eq!(one.validate().unwrap().len(), 1);
        let errors = UserBatchInput {
            updates: Some(vec![
                ok("A"),
                UserBatchUpdateInput {
                    id: Some("0190a000-0000-7000-8000-000000000002".into()),
                    version: None,
                    changes: Some(UserPatchInput {
                        email: Some("nope".into()),
                        ..Default::default()
                    }),
                },
                ok("B"),
                UserBatchUpdateInput {
                    id: Some("x".into()),
                    version: Some(1),
                    changes: Some(UserPatchInput::default()),
                },
            ]),
        }
        .validate()
        .unwrap_err();
        let keys: Vec<&str> = errors.0.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "updates[1].email",
                "updates[1].version",
                "updates[2].id",
                "updates[3].changes",
                "updates[3].id"
            ]
        );
        for empty in [None, Some(vec![])] {
            let e = UserBatchInput { updates: empty }.validate().unwrap_err();
            assert!(e.get("updates").is_some());
        }
        let many = UserBatchInput {
            updates: Some(vec![ok("A"); MAX_BATCH_UPDATES + 1]),
        };
        assert!(many.validate().unwrap_err().get("updates").is_some());
    }

    #[test]
    fn new_user_names_every_bad_field() {
        let input = NewUserInput {
            name: None,
            email: Some("nope".into()),
            role: Some("king".into()),
            preferences: Some(PreferencesInput {
                theme: Some("neon".into()),
                ..Default::default()
            }),
        };
        let errors = input.validate().unwrap_err();
        assert_eq!(errors.get("name"), Some("name is required"));
        assert!(errors.get("email").unwrap().contains("name@example.com"));
        assert!(errors
            .get("role")
            .unwrap()
            .contains("admin, moderator, user"));
        assert!(errors.get("preferences.theme").is_some());
    }

    #[test]
    fn new_user_defaults() {
        let user = NewUserInput {
            name: Some("Ada".into()),
            email: Some("ADA@example.com".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(user.role, Role::User);
        assert_eq!(user.email.as_str(), "ada@example.com");
        assert_eq!(user.preferences, Preferences::default());
    }

    #[test]
    fn empty_patch_is_refused() {
        let errors = UserPatchInput::default().validate().unwrap_err();
        assert!(errors.get("body").is_some());
    }

    #[test]
    fn unknown_fields_are_refused() {
        let r: Result<UserPatchInput, _> = serde_json::from_str(r#"{"nmae":"x"}"#);
        assert!(r.unwrap_err().to_string().contains("unknown field `nmae`"));
    }
}
