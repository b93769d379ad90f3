//! Access tokens: issued to the one configured client, reused until they expire, checked on
//! every emulated route.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use serde::Serialize;

use crate::clock::{Clock, Timestamp};
use crate::error::ApiError;

/// The body of a successful `/identity/oauth/token` call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub scope: String,
}

/// Identity failures, in the Spring OAuth shape Marketo's identity service answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityError {
    /// HTTP 400 `invalid_request`.
    InvalidRequest(String),
    /// HTTP 401 `unauthorized`: no such client.
    UnknownClient(String),
    /// HTTP 401 `invalid_client`: wrong secret.
    BadCredentials,
}

#[derive(Debug, Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Default)]
struct TokenTable {
    /// The token handed out again until it expires.
    current: Option<(String, Timestamp)>,
    /// Every token issued and its expiry, so an old one answers 602 rather than 601.
    issued: HashMap<String, Timestamp>,
}

/// Tokens older than this past their expiry are forgotten, to keep the table bounded.
const EXPIRED_MEMORY: Duration = Duration::from_secs(7 * 86_400);

#[derive(Debug)]
pub struct Tokens {
    clock: Clock,
    credentials: Credentials,
    lifetime: Duration,
    table: RwLock<TokenTable>,
}

impl Tokens {
    pub fn new(clock: Clock, credentials: Credentials, lifetime: Duration) -> Tokens {
        Tokens {
            clock,
            credentials,
            lifetime,
            table: RwLock::new(TokenTable::default()),
        }
    }

    fn table(&self) -> std::sync::RwLockWriteGuard<'_, TokenTable> {
        self.table.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The client these tokens are issued to.
    pub fn client_id(&self) -> &str {
        &self.credentials.client_id
    }

    /// The scope names the API-only user, as Marketo's does; the usage report counts calls
    /// under the same name.
    pub fn scope(&self) -> String {
        format!("{}@mock.marketo.test", self.credentials.client_id)
    }

    /// Issues a token, or hands back the live one with its remaining life.
    pub fn issue(
        &self,
        grant_type: Option<&str>,
        client_id: Option<&str>,
        client_secret: Option<&str>,
    ) -> Result<IssuedToken, IdentityError> {
        match grant_type {
            None | Some("") => {
                return Err(IdentityError::InvalidRequest("Missing grant type".into()));
            }
            Some("client_credentials") => {}
            Some(other) => {
                return Err(IdentityError::InvalidRequest(format!(
                    "Unsupported grant type: {other}"
                )));
            }
        }
        let client_id = match client_id {
            None | Some("") => {
                return Err(IdentityError::InvalidRequest(
                    "Missing parameter: client_id".into(),
                ));
            }
            Some(id) => id,
        };
        if client_id != self.credentials.client_id {
            return Err(IdentityError::UnknownClient(client_id.to_owned()));
        }
        if client_secret != Some(self.credentials.client_secret.as_str()) {
            return Err(IdentityError::BadCredentials);
        }
        let now = self.clock.now();
        let mut table = self.table();
        let (token, expires) = match &table.current {
            Some((token, expires)) if now < *expires => (token.clone(), *expires),
            _ => {
                let token = format!("{}:int", uuid::Uuid::new_v4());
                let expires = now.plus(self.lifetime);
                table
                    .issued
                    .retain(|_, expiry| now < expiry.plus(EXPIRED_MEMORY));
                table.issued.insert(token.clone(), expires);
                table.current = Some((token.clone(), expires));
                (token, expires)
            }
        };
        Ok(IssuedToken {
            access_token: token,
            token_type: "bearer",
            // Whole seconds left, rounded down: the token never dies before it says it will.
            expires_in: now
                .until(expires)
                .saturating_sub(Duration::from_millis(1))
                .as_secs(),
            scope: self.scope(),
        })
    }

    /// Checks a token presented on an API call.
    pub fn check(&self, token: Option<&str>) -> Result<(), ApiError> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::EmptyToken)?;
        // Every call checks its token, so readers share the lock.
        let table = self.table.read().unwrap_or_else(|p| p.into_inner());
        let expires = *table.issued.get(token).ok_or(ApiError::InvalidToken)?;
        drop(table);
        if self.clock.now() < expires {
            Ok(())
        } else {
            Err(ApiError::ExpiredToken)
        }
    }

    /// Ends the life of every token now.
    pub fn expire_all(&self) {
        let now = self.clock.now();
        let mut table = self.table();
        for expiry in table.issued.values_mut() {
            *expiry = (*expiry).min(now);
        }
        table.current = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ClockMode;

    fn tokens() -> (Clock, Tokens) {
        let clock = Clock::new(ClockMode::Frozen);
        let credentials = Credentials {
            client_id: "id".into(),
            client_secret: "secret".into(),
        };
        (
            clock.clone(),
            Tokens::new(clock, credentials, Duration::from_secs(3600)),
        )
    }

    fn issue(tokens: &Tokens) -> IssuedToken {
        tokens
            .issue(Some("client_credentials"), Some("id"), Some("secret"))
            .unwrap()
    }

    #[test]
    fn a_new_token_advertises_just_under_an_hour_and_is_reused_with_its_remaining_life() {
        let (clock, tokens) = tokens();
        let first = issue(&tokens);
        assert_eq!(first.expires_in, 3599);
        assert!(first.access_token.ends_with(":int"));
        clock.advance(Duration::from_secs(600));
        let second = issue(&tokens);
        assert_eq!(second.access_token, first.access_token);
        assert_eq!(second.expires_in, 2999);
    }

    #[test]
    fn a_token_expires_at_its_hour_and_a_new_one_is_issued() {
        let (clock, tokens) = tokens();
        let first = issue(&tokens);
        clock.advance(Duration::from_millis(3_599_999));
        assert_eq!(tokens.check(Some(&first.access_token)), Ok(()));
        assert_eq!(issue(&tokens).expires_in, 0);
        clock.advance(Duration::from_millis(1));
        assert_eq!(
            tokens.check(Some(&first.access_token)),
            Err(ApiError::ExpiredToken)
        );
        let second = issue(&tokens);
        assert_ne!(second.access_token, first.access_token);
        assert_eq!(tokens.check(Some(&second.access_token)), Ok(()));
    }

    #[test]
    fn missing_and_unknown_tokens_are_told_apart() {
        let (_, tokens) = tokens();
        assert_eq!(tokens.check(None), Err(ApiError::EmptyToken));
        assert_eq!(tokens.check(Some("")), Err(ApiError::EmptyToken));
        assert_eq!(tokens.check(Some("nope:int")), Err(ApiError::InvalidToken));
    }

    #[test]
    fn identity_refuses_bad_grants_clients_and_secrets() {
        let (_, tokens) = tokens();
        assert_eq!(
            tokens.issue(None, Some("id"), Some("secret")),
            Err(IdentityError::InvalidRequest("Missing grant type".into()))
        );
        assert_eq!(
            tokens.issue(Some("password"), Some("id"), Some("secret")),
            Err(IdentityError::InvalidRequest(
                "Unsupported grant type: password".into()
            ))
        );
        assert_eq!(
            tokens.issue(Some("client_credentials"), Some("who"), Some("secret")),
            Err(IdentityError::UnknownClient("who".into()))
        );
        assert_eq!(
            tokens.issue(Some("client_credentials"), Some("id"), Some("wrong")),
            Err(IdentityError::BadCredentials)
        );
    }

    #[test]
    fn expiring_all_tokens_makes_them_answer_602() {
        let (_, tokens) = tokens();
        let token = issue(&tokens).access_token;
        tokens.expire_all();
        assert_eq!(tokens.check(Some(&token)), Err(ApiError::ExpiredToken));
        assert_ne!(issue(&tokens).access_token, token);
    }
}
