//! The user-list cases of the engine workload: first pages of users cached
//! as the app caches them (key `["users", "list", UserListQuery]`, options
//! declaring [`Shape::UserPage`], so their users are held once in the
//! client's store and the pages keep ids), reached by server events.
//!
//! - `entity_update`: one `USER_UPDATED` event renaming a user whom 1,000
//!   cached lists hold. The lists show a team of 50 users in every order
//!   (5 columns, both directions), with and without the renamed user's role
//!   as filter, at 50 page sizes (50 to 99), so each first page is its
//!   whole list; the new name keeps the user's place in every order.
//! - `entity_read`: the 1,000 lists read afterwards with `query_shown`
//!   (their rows, the store's own users), each checked to show the new
//!   name.
//! - `place_created`: 1,000 `USER_CREATED` events, in seq order, placed
//!   into 100 cached first pages (filters by role and search text, orders
//!   by name, email or creation, both directions, 10 to 50 rows) built
//!   from 2,000 users. Afterwards, outside the timing, every page must be
//!   the server's answer for all 3,000 users (`UserFilter::apply`, cut to
//!   the page size) and carry its total.
//!
//! Each run starts from a fresh client holding the lists; nothing is
//! refetched, and an invalidated list is an error.

use chrono::{DateTime, Duration};
use serde_json::Value;
use tidings::cache::{
    EventKind, EventOutcome, FakeClock, QueryClient, QueryKey, QueryOptions, Shape,
};
use tidings::model::{
    Email, Name, Page, Pagination, Role, SortOrder, User, UserFilter, UserListQuery, UserSort,
};
use uuid::Uuid;

use super::{check, fresh_key, timed, user, Timed};

/// Lists holding the renamed user in `entity_update`.
const HOLDING_LISTS: usize = 1_000;
/// Users in those lists (`user(0)` to `user(49)`; `user(0)` is renamed).
const TEAM: usize = 50;
/// The renamed user's name afterwards.
const NEW_NAME: &str = "User 0 Renamed";
/// Lists the created users are placed into in `place_created`.
const PLACED_LISTS: usize = 100;
/// Users the `place_created` lists are built from.
const SEEDED: usize = 2_000;
/// Users created by events in `place_created`.
const CREATED: usize = 1_000;

const FIRST_NAMES: [&str; 20] = [
    "Ada",
    "Alan",
    "Barbara",
    "Claude",
    "Donald",
    "Edsger",
    "Frances",
    "Grace",
    "Hedy",
    "Ivan",
    "John",
    "Ken",
    "Linus",
    "Margaret",
    "Niklaus",
    "Radia",
    "Shafi",
    "Tim",
    "Vint",
    "Whitfield",
];
const LAST_NAMES: [&str; 21] = [
    "Allen",
    "Backus",
    "Cerf",
    "Dijkstra",
    "Engelbart",
    "Floyd",
    "Goldwasser",
    "Hamilton",
    "Hopper",
    "Kahn",
    "Knuth",
    "Lamarr",
    "Liskov",
    "Lovelace",
    "McCarthy",
    "Perlman",
    "Ritchie",
    "Sutherland",
    "Thompson",
    "Turing",
    "Wirth",
];
const DOMAINS: [&str; 3] = ["example.com", "example.org", "example.net"];

/// What the list cases start from, built once outside the timings.
pub(super) struct Input {
    /// The `entity_update` lists.
    holding: Vec<List>,
    /// Rows the `entity_update` lists hold in all.
    holding_rows: usize,
    /// The `USER_UPDATED` payload: `user(0)` renamed, version 2.
    renamed: Value,
    /// The `place_created` lists.
    placing: Vec<List>,
    /// The `USER_CREATED` payloads, in seq order.
    created: Vec<Value>,
    /// Each `place_created` list's rows and pagination after the events.
    placed: Vec<(Vec<Uuid>, Pagination)>,
}

/// One cached list: its key, its options and its first page as answered.
struct List {
    key: QueryKey,
    options: QueryOptions,
    data: Value,
}

impl Input {
    pub(super) fn new() -> Self {
        let team: Vec<User> = (0..TEAM).map(user).collect();
        let holding: Vec<List> = (0..HOLDING_LISTS)
            .map(|n| List::new(holding_query(n), &team))
            .collect();
        let holding_rows = holding
            .iter()
            .map(|l| l.data["data"].as_array().map_or(0, Vec::len))
            .sum();
        let mut renamed = user(0);
        renamed.name = Name::parse(NEW_NAME).expect("valid name");
        renamed.updated_at += Duration::days(1);
        renamed.version = 2;

        let seeded: Vec<User> = (0..SEEDED).map(person).collect();
        let everyone: Vec<User> = (0..SEEDED + CREATED).map(person).collect();
        let placing = (0..PLACED_LISTS)
            .map(|n| List::new(placing_query(n), &seeded))
            .collect();
        let created = everyone[SEEDED..].iter().map(user_json).collect();
        let placed = (0..PLACED_LISTS)
            .map(|n| {
                let page = first_page(&placing_query(n), &everyone);
                (page.data.iter().map(|u| u.id).collect(), page.pagination)
            })
            .collect();
        Self {
            holding,
            holding_rows,
            renamed: user_json(&renamed),
            placing,
            created,
            placed,
        }
    }
}

impl List {
    /// The first page of `query` over `users`, as the server answers it.
    fn new(query: UserListQuery, users: &[User]) -> Self {
        let key = QueryKey::from(["users", "list"])
            .with_serialized(&query)
            .expect("a list query serializes");
        let options = QueryOptions::default().shape(Shape::UserPage(query.filter.clone()));
        let data = page_json(&first_page(&query, users));
        Self { key, options, data }
    }
}

/// Page 1 of `query` over `users` by the server's rule: filter, order,
/// cut to the page size; the total counts every match.
fn first_page(query: &UserListQuery, users: &[User]) -> Page<User> {
    let all = query.filter.apply(users);
    Page {
        data: all
            .iter()
            .take(query.limit as usize)
            .map(|u| (*u).clone())
            .collect(),
        pagination: Pagination::new(1, query.limit, all.len() as u64),
    }
}

/// `entity_update` list `n`: order by column `n` mod 5, ascending then
/// descending, without then with the admin role (`user(0)`'s) as filter,
/// page size 50 + `n` / 20.
fn holding_query(n: usize) -> UserListQuery {
    UserListQuery {
        filter: UserFilter {
            sort: UserSort::ALL[n % 5],
            order: [SortOrder::Asc, SortOrder::Desc][n / 5 % 2],
            role: [None, Some(Role::Admin)][n / 10 % 2],
            ..UserFilter::default()
        },
        page: 1,
        limit: 50 + (n / 20) as u32,
    }
}

/// `place_created` list `n`: `n` in mixed radix picks the column (name,
/// email, createdAt), the direction, the role (any or one) and the search
/// text; the page size cycles through 10, 20, 25 and 50.
fn placing_query(n: usize) -> UserListQuery {
    const SORTS: [UserSort; 3] = [UserSort::Name, UserSort::Email, UserSort::CreatedAt];
    const ROLES: [Option<Role>; 4] = [
        None,
        Some(Role::Admin),
        Some(Role::Moderator),
        Some(Role::User),
    ];
    const SEARCHES: [Option<&str>; 5] = [
        None,
        Some("an"),
        Some("li"),
        Some("son"),
        Some("example.org"),
    ];
    const LIMITS: [u32; 4] = [10, 20, 25, 50];
    UserListQuery {
        filter: UserFilter {
            sort: SORTS[n % 3],
            order: [SortOrder::Asc, SortOrder::Desc][n / 3 % 2],
            role: ROLES[n / 6 % 4],
            search: SEARCHES[n / 24 % 5].map(str::to_owned),
            active: None,
        },
        page: 1,
        limit: LIMITS[n % 4],
    }
}

/// User `i` of `place_created`: name, email domain and role drawn from a
/// multiplicative hash of `i`; created and last active `i` minutes after
/// the epoch, so the created users are the newest.
fn person(i: usize) -> User {
    let h = (i as u32).wrapping_mul(2_654_435_761);
    let pick = |shift: u32, len: usize| ((h >> shift) & 0xff) as usize % len;
    let first = FIRST_NAMES[pick(24, FIRST_NAMES.len())];
    let last = LAST_NAMES[pick(16, LAST_NAMES.len())];
    let domain = DOMAINS[pick(8, DOMAINS.len())];
    let at = DateTime::UNIX_EPOCH + Duration::minutes(i as i64);
    User {
        name: Name::parse(format!("{first} {last}")).expect("valid name"),
        email: Email::parse(format!(
            "{}.{}{i}@{domain}",
            first.to_lowercase(),
            last.to_lowercase()
        ))
        .expect("valid email"),
        role: Role::ALL[pick(4, Role::ALL.len())],
        last_active: at,
        created_at: at,
        updated_at: at,
        ..user(i)
    }
}

fn user_json(user: &User) -> Value {
    serde_json::to_value(user).expect("a user serializes")
}

fn page_json(page: &Page<User>) -> Value {
    serde_json::to_value(page).expect("a page serializes")
}

/// A fresh client holding `lists`, each declared with its shape.
fn cached(lists: &[List]) -> QueryClient {
    let mut client = QueryClient::new(FakeClock::new(0));
    for list in lists {
        client.set_options(&list.key, list.options.clone());
        client.set_query_data(&list.key, list.data.clone());
    }
    client
}

fn invalidated(client: &QueryClient) -> usize {
    client.queries().filter(|(_, s)| s.is_invalidated).count()
}

/// `entity_update` then `entity_read` on one fresh client.
pub(super) fn holding(input: &Input, now: &dyn Fn() -> f64) -> Result<Timed, String> {
    let mut client = cached(&input.holding);
    let (applied, update) = timed(now, || {
        client.apply_change_event(1, EventKind::UserUpdated, &input.renamed)
    });
    let applied = applied.map_err(|e| format!("entity_update: payload rejected: {e}"))?;
    let is_applied = applied.outcome == EventOutcome::Applied;
    check(
        "entity_update",
        "events applied",
        usize::from(is_applied),
        1,
    )?;
    check("entity_update", "fetches started", applied.starts.len(), 0)?;
    check(
        "entity_update",
        "lists invalidated",
        invalidated(&client),
        0,
    )?;

    let id = user(0).id;
    // Read by keys built anew, as a component building its key would.
    let keys: Vec<QueryKey> = input.holding.iter().map(|l| fresh_key(&l.key)).collect();
    let ((showing, rows), read) = timed(now, || {
        let (mut showing, mut rows) = (0, 0);
        for key in &keys {
            for u in client.query_shown(key).into_iter().flat_map(|s| s.users()) {
                rows += 1;
                showing += usize::from(u.id == id && u.name.as_str() == NEW_NAME);
            }
        }
        (showing, rows)
    });
    check(
        "entity_read",
        "lists showing the new name",
        showing,
        HOLDING_LISTS,
    )?;
    check("entity_read", "rows shown", rows, input.holding_rows)?;
    Ok(vec![("entity_update", update), ("entity_read", read)])
}

/// `place_created` on one fresh client.
pub(super) fn placing(input: &Input, now: &dyn Fn() -> f64) -> Result<Timed, String> {
    let mut client = cached(&input.placing);
    let (applied, place) = timed(now, || {
        let (mut applied, mut starts) = (0, 0);
        for (seq, data) in (1..).zip(&input.created) {
            let event = client.apply_change_event(seq, EventKind::UserCreated, data)?;
            applied += usize::from(event.outcome == EventOutcome::Applied);
            starts += event.starts.len();
        }
        Ok::<_, serde_json::Error>((applied, starts))
    });
    let (applied, starts) = applied.map_err(|e| format!("place_created: payload rejected: {e}"))?;
    check("place_created", "events applied", applied, CREATED)?;
    check("place_created", "fetches started", starts, 0)?;
    check(
        "place_created",
        "lists invalidated",
        invalidated(&client),
        0,
    )?;

    let wrong = input
        .placing
        .iter()
        .zip(&input.placed)
        .filter(
            |(list, (ids, pagination))| match client.query_data_as::<Page<User>>(&list.key) {
                Some(Ok(page)) => {
                    page.pagination != *pagination
                        || !page.data.iter().map(|u| u.id).eq(ids.iter().copied())
                }
                _ => true,
            },
        )
        .count();
    check(
        "place_created",
        "lists unlike the server's first page",
        wrong,
        0,
    )?;
    Ok(vec![("place_created", place)])
}
