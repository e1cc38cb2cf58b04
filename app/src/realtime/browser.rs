//! The browser glue (feature `hydrate`): performs the [`Machine`]'s
//! commands with a `WebSocket`, a `BroadcastChannel`, one `setTimeout` for
//! its next deadline and the window's `online` event, and feeds back what
//! they report. Every decision is the machine's; this file only wires.
//!
//! With a leader lock ([`crate::web_locks`]), a tab follows the one that
//! holds it until the browser grants it the lock.
//!
//! Callbacks of a socket that was dropped (by a reconnect or a timeout)
//! are ignored by generation, so a late `close` of an old socket never
//! touches the new one. Inputs that arrive while commands are being
//! performed are queued and handled in order afterwards.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::{Rc, Weak};
use std::time::Duration;

use futures::StreamExt;
use leptos::prelude::{set_timeout_with_handle, window_event_listener_untyped};
use leptos::prelude::{TimeoutHandle, WindowListenerHandle};
use send_wrapper::SendWrapper;
use tidings::cache::{FetchStart, Millis, MutationId, Notification};
use tidings::protocol::ServerFrame;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BroadcastChannel, CloseEvent, MessageEvent, WebSocket};

use super::apply::{self, StoreOutcome};
use super::machine::{Command, Input, Machine, Stats};
#[cfg(feature = "testing")]
use super::{scripted::Script, Transport};
use super::{
    Position, RealtimeOptions, SessionHook, SessionNeed, Signals, TabMessage, TokenSource,
};
use crate::query::{LayerChange, QueryClientHandle};

/// How long another tab's layer may show here without being settled.
const FOREIGN_LAYER_LIFETIME: Duration = Duration::from_secs(60);

/// The close code of a connection that failed without a close frame.
const ABNORMAL: u16 = 1006;

fn now() -> Millis {
    js_sys::Date::now() as Millis
}

/// The default socket URL: the page's host, `wss:` under `https:`.
fn default_url() -> String {
    let location = web_sys::window().map(|w| w.location());
    let scheme = match location.as_ref().and_then(|l| l.protocol().ok()) {
        Some(p) if p == "https:" => "wss:",
        _ => "ws:",
    };
    let host = location
        .and_then(|l| l.host().ok())
        .unwrap_or_else(|| "localhost".into());
    format!("{scheme}//{host}/api/events")
}

/// The runtime of one tab's connection, behind [`RealtimeHandle`](super::RealtimeHandle).
#[derive(Clone)]
pub(super) struct Driver(SendWrapper<Rc<RefCell<Runtime>>>);

pub(super) struct Runtime {
    machine: Machine,
    client: QueryClientHandle,
    signals: Signals,
    url: String,
    pub(super) token: Option<TokenSource>,
    session: Option<SessionHook>,
    #[cfg(feature = "testing")]
    pub(super) transport: Transport,
    /// Bumped for every socket: callbacks of older ones are ignored.
    generation: u64,
    socket: Option<Socket>,
    #[cfg(feature = "testing")]
    pub(super) script: Script,
    channel: Option<Channel>,
    leader_lock: Option<String>,
    leadership: Option<crate::web_locks::Held>,
    /// This page's id among the tabs, for the layers it shares.
    tab: String,
    /// Other tabs' layers shown here: their (tab, id) to the id here.
    foreign: HashMap<(String, MutationId), MutationId>,
    online: Option<WindowListenerHandle>,
    timer: Option<(Millis, TimeoutHandle)>,
    inbox: VecDeque<Input>,
    busy: bool,
}

impl Drop for Runtime {
    /// The last handle is gone: nothing may call into the dropped handlers.
    fn drop(&mut self) {
        if let Some(socket) = self.socket.take() {
            socket.close();
        }
        if let Some(channel) = self.channel.take() {
            channel.close();
        }
        if let Some(leadership) = self.leadership.take() {
            leadership.release();
        }
        if let Some(online) = self.online.take() {
            online.remove();
        }
        if let Some((_, timer)) = self.timer.take() {
            timer.clear();
        }
    }
}

/// A browser socket with its handlers (kept alive while it is).
struct Socket {
    ws: WebSocket,
    _open: Closure<dyn FnMut(JsValue)>,
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
}

impl Socket {
    fn open(url: &str, rt: Weak<RefCell<Runtime>>, generation: u64) -> Result<Self, JsValue> {
        let ws = WebSocket::new(url)?;
        let current = move |rt: &Weak<RefCell<Runtime>>| {
            rt.upgrade()
                .filter(|rt| rt.borrow().generation == generation)
        };
        let on = rt.clone();
        let open = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            if let Some(rt) = current(&on) {
                let source = rt.borrow().token.clone();
                let token = source.and_then(|source| source());
                dispatch(&rt, Input::Opened { token });
            }
        });
        let on = rt.clone();
        let message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Some(rt) = current(&on) {
                let input = match e.data().as_string() {
                    Some(text) => match ServerFrame::parse(&text) {
                        Ok(frame) => Input::Frame(frame),
                        Err(error) => {
                            let start: String = text.chars().take(200).collect();
                            Input::BadFrame(format!("{error}: {start}"))
                        }
                    },
                    None => Input::BadFrame("a binary frame".into()),
                };
                dispatch(&rt, input);
            }
        });
        let on = rt;
        let close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            if let Some(rt) = current(&on) {
                let input = Input::Closed {
                    code: e.code(),
                    reason: e.reason(),
                };
                dispatch(&rt, input);
            }
        });
        ws.set_onopen(Some(open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(close.as_ref().unchecked_ref()));
        Ok(Self {
            ws,
            _open: open,
            _message: message,
            _close: close,
        })
    }

    /// Detaches the handlers and closes (a socket still connecting is
    /// abandoned).
    fn close(self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close_with_code(1000);
    }
}

/// The cross-tab channel with its handler.
struct Channel {
    channel: BroadcastChannel,
    _message: Closure<dyn FnMut(MessageEvent)>,
}

impl Channel {
    fn open(name: &str, rt: Weak<RefCell<Runtime>>) -> Option<Self> {
        let channel = BroadcastChannel::new(name).ok()?;
        let message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(message) = e.data().as_string().and_then(|t| TabMessage::decode(&t)) else {
                return;
            };
            if let Some(rt) = rt.upgrade() {
                dispatch(&rt, Input::Tab(message));
            }
        });
        channel.set_onmessage(Some(message.as_ref().unchecked_ref()));
        Some(Self {
            channel,
            _message: message,
        })
    }

    fn post(&self, message: &TabMessage) {
        if let Err(e) = self
            .channel
            .post_message(&JsValue::from_str(&message.encode()))
        {
            leptos::logging::warn!("could not post to other tabs: {e:?}");
        }
    }

    fn close(self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}

impl Driver {
    pub(super) fn start(
        client: QueryClientHandle,
        options: RealtimeOptions,
        signals: Signals,
    ) -> Self {
        let random = Box::new(js_sys::Math::random);
        let machine = Machine::new(options.config, random, options.resume_from);
        let rt = Rc::new(RefCell::new(Runtime {
            machine,
            client,
            signals,
            url: options.url.unwrap_or_else(default_url),
            token: options.token,
            session: options.session,
            #[cfg(feature = "testing")]
            transport: options.transport,
            generation: 0,
            socket: None,
            #[cfg(feature = "testing")]
            script: Script::default(),
            channel: None,
            leader_lock: options.leader_lock,
            leadership: None,
            tab: format!("{:x}", (js_sys::Math::random() * 2f64.powi(52)) as u64),
            foreign: HashMap::new(),
            online: None,
            timer: None,
            inbox: VecDeque::new(),
            busy: false,
        }));
        let channel = options
            .channel
            .and_then(|name| Channel::open(&name, Rc::downgrade(&rt)));
        if channel.is_some() {
            share_layers(&rt);
        }
        let weak = Rc::downgrade(&rt);
        let online = window_event_listener_untyped("online", move |_| {
            if let Some(rt) = weak.upgrade() {
                dispatch(&rt, Input::Online);
            }
        });
        {
            let mut r = rt.borrow_mut();
            r.channel = channel;
            r.online = Some(online);
        }
        Driver(SendWrapper::new(rt))
    }

    /// Starts: connects, or, with a leader lock, follows the tab that
    /// holds it until this one is granted it.
    pub(super) fn begin(&self) {
        let name = self.0.borrow().leader_lock.clone();
        let weak = Rc::downgrade(&self.0);
        let lead = name.and_then(|name| {
            crate::web_locks::hold(&name, move || {
                if let Some(rt) = weak.upgrade() {
                    dispatch(&rt, Input::Start);
                }
            })
        });
        match lead {
            Some(lead) => {
                self.0.borrow_mut().leadership = Some(lead);
                dispatch(&self.0, Input::Follow);
            }
            None => dispatch(&self.0, Input::Start),
        }
    }

    pub(super) fn input(&self, input: Input) {
        let stop = input == Input::Stop;
        dispatch(&self.0, input);
        if stop {
            let (channel, online, leadership) = {
                let mut r = self.0.borrow_mut();
                (r.channel.take(), r.online.take(), r.leadership.take())
            };
            if let Some(channel) = channel {
                channel.close();
            }
            if let Some(leadership) = leadership {
                leadership.release();
            }
            if let Some(online) = online {
                online.remove();
            }
        }
    }

    pub(super) fn post(&self, message: TabMessage) {
        if let Some(channel) = &self.0.borrow().channel {
            channel.post(&message);
        }
    }

    pub(super) fn position(&self) -> Option<Position> {
        self.0.borrow().machine.position().cloned()
    }

    pub(super) fn stats(&self) -> Stats {
        self.0.borrow().machine.stats()
    }

    /// The runtime, for the hand-played socket of test builds.
    #[cfg(feature = "testing")]
    pub(super) fn runtime(&self) -> &Rc<RefCell<Runtime>> {
        &self.0
    }
}

/// Hands `input` to the machine and performs what it says; inputs arising
/// meanwhile are queued and handled in turn.
pub(super) fn dispatch(rt: &Rc<RefCell<Runtime>>, input: Input) {
    {
        let mut r = rt.borrow_mut();
        r.inbox.push_back(input);
        if r.busy {
            return;
        }
        r.busy = true;
    }
    loop {
        let commands = {
            let mut r = rt.borrow_mut();
            let Some(input) = r.inbox.pop_front() else {
                r.busy = false;
                break;
            };
            r.machine.handle(now(), input)
        };
        for command in commands {
            if let Some(next) = perform(rt, command) {
                rt.borrow_mut().inbox.push_back(next);
            }
        }
    }
    show(rt);
}

/// Performs one command; returns what it reports back, if anything. No
/// borrow of the runtime is held while the cache or the signals run.
fn perform(rt: &Rc<RefCell<Runtime>>, command: Command) -> Option<Input> {
    let client = || rt.borrow().client.clone();
    match command {
        Command::Connect => return connect(rt),
        Command::Send(frame) => {
            #[cfg(feature = "testing")]
            if rt.borrow().transport == Transport::Scripted {
                rt.borrow_mut().script.sent.push(frame);
                return None;
            }
            if let Some(socket) = &rt.borrow().socket {
                if let Err(e) = socket.ws.send_with_str(&frame.to_text()) {
                    leptos::logging::warn!("realtime send failed: {e:?}");
                }
            }
        }
        Command::Disconnect => {
            let socket = {
                let mut r = rt.borrow_mut();
                r.generation += 1;
                r.socket.take()
            };
            if let Some(socket) = socket {
                socket.close();
            }
        }
        Command::Apply(event) => {
            if let StoreOutcome::Unreadable(error) = apply::apply_event(&client(), &event) {
                leptos::logging::warn!("event {} unreadable: {error}", event.seq);
                return Some(Input::Unapplied { seq: event.seq });
            }
        }
        Command::Invalidate(tags) => client().invalidate_tags(&tags),
        Command::ResetSeq(seq) => apply::reset_seq(&client(), seq),
        Command::RefetchAll { round } => {
            let client = client();
            let starts = apply::refetch_all(&client);
            if !apply::still_fetching(&client, &starts) {
                return Some(Input::RefetchSettled { round });
            }
            watch_refetch(Rc::downgrade(rt), client, starts, round);
        }
        Command::Post(message) => {
            if let Some(channel) = &rt.borrow().channel {
                channel.post(&message);
            }
        }
        Command::ForeignLayer { tab, change } => show_foreign_layer(rt, tab, change),
        Command::WriteQueryData { key, data } => {
            apply::write_query_data(&client(), &key, data);
        }
        Command::RefreshSession => tell_session(rt, SessionNeed::Refresh),
        Command::SessionEnded => tell_session(rt, SessionNeed::Ended),
        Command::Warn(message) => leptos::logging::warn!("{message}"),
    }
    None
}

/// Posts every change to this page's own layers to the other tabs.
fn share_layers(rt: &Rc<RefCell<Runtime>>) {
    let (client, tab) = {
        let r = rt.borrow();
        (r.client.clone(), r.tab.clone())
    };
    let weak = SendWrapper::new(Rc::downgrade(rt));
    client.watch_layers(move |change| {
        let Some(rt) = weak.upgrade() else {
            return;
        };
        let message = TabMessage::Layer {
            tab: tab.clone(),
            change: change.clone(),
        };
        let posted = match rt.try_borrow() {
            Ok(runtime) => {
                if let Some(channel) = &runtime.channel {
                    channel.post(&message);
                }
                true
            }
            Err(_) => false,
        };
        if !posted {
            leptos::logging::warn!("a layer change was not shared: the runtime was busy");
        }
    });
}

/// Shows (or settles) tab `tab`'s layer here.
fn show_foreign_layer(rt: &Rc<RefCell<Runtime>>, tab: String, change: LayerChange) {
    let client = rt.borrow().client.clone();
    match change {
        LayerChange::Shown { id, ops } => {
            let here = client.show_foreign_layer(ops);
            rt.borrow_mut().foreign.insert((tab.clone(), id), here);
            // A tab closed before its call settled never says so: its
            // layer goes after a while (the server's events carry what the
            // call did, if anything).
            let weak = Rc::downgrade(rt);
            leptos::prelude::set_timeout(
                move || {
                    if let Some(rt) = weak.upgrade() {
                        let change = LayerChange::Settled {
                            id,
                            confirmed: None,
                        };
                        show_foreign_layer(&rt, tab, change);
                    }
                },
                FOREIGN_LAYER_LIFETIME,
            );
        }
        LayerChange::Settled { id, confirmed } => {
            let here = rt.borrow_mut().foreign.remove(&(tab, id));
            if let Some(here) = here {
                client.settle_foreign_layer(here, confirmed);
            }
        }
    }
}

/// Calls the session hook, if any, with no borrow of the runtime held.
fn tell_session(rt: &Rc<RefCell<Runtime>>, need: SessionNeed) {
    let hook = rt.borrow().session.clone();
    if let Some(hook) = hook {
        hook(need);
    }
}

/// Opens a socket (a scripted one just counts); a socket that cannot even
/// be created reports a close at once.
fn connect(rt: &Rc<RefCell<Runtime>>) -> Option<Input> {
    let (old, url, generation) = {
        let mut r = rt.borrow_mut();
        r.generation += 1;
        (r.socket.take(), r.url.clone(), r.generation)
    };
    if let Some(old) = old {
        old.close();
    }
    #[cfg(feature = "testing")]
    if rt.borrow().transport == Transport::Scripted {
        rt.borrow_mut().script.connects += 1;
        return None;
    }
    match Socket::open(&url, Rc::downgrade(rt), generation) {
        Ok(socket) => {
            rt.borrow_mut().socket = Some(socket);
            None
        }
        Err(e) => Some(Input::Closed {
            code: ABNORMAL,
            reason: format!("the socket could not be created: {e:?}"),
        }),
    }
}

/// Reports [`Input::RefetchSettled`] once none of `starts` is fetching,
/// checking after every change the cache announces.
fn watch_refetch(
    rt: Weak<RefCell<Runtime>>,
    client: QueryClientHandle,
    starts: Vec<FetchStart>,
    round: u64,
) {
    let (tx, mut changes) = futures::channel::mpsc::unbounded::<()>();
    let listener = client.update(|c| {
        c.subscribe(move |_: &Notification| {
            let _ = tx.unbounded_send(());
        })
    });
    wasm_bindgen_futures::spawn_local(async move {
        while apply::still_fetching(&client, &starts) {
            if changes.next().await.is_none() {
                break;
            }
        }
        client.update(|c| c.unsubscribe(listener));
        if let Some(rt) = rt.upgrade() {
            dispatch(&rt, Input::RefetchSettled { round });
        }
    });
}

/// Brings the signals up to date and arms the timer for the machine's next
/// deadline.
fn show(rt: &Rc<RefCell<Runtime>>) {
    let (signals, status, seq, retry_at, deadline) = {
        let r = rt.borrow();
        let m = &r.machine;
        let deadline = if m.is_stopped() {
            None
        } else {
            m.next_deadline()
        };
        (
            r.signals.clone(),
            m.status(),
            m.last_seq(),
            m.retry_at(),
            deadline,
        )
    };
    signals.show(status, seq, retry_at);
    rearm(rt, deadline);
}

fn rearm(rt: &Rc<RefCell<Runtime>>, deadline: Option<Millis>) {
    /// `setTimeout` takes a signed 32-bit delay.
    const LONGEST: Millis = i32::MAX as Millis;

    let mut r = rt.borrow_mut();
    if r.timer.as_ref().map(|(at, _)| *at) == deadline {
        return;
    }
    if let Some((_, timer)) = r.timer.take() {
        timer.clear();
    }
    let Some(at) = deadline else {
        return;
    };
    let weak = Rc::downgrade(rt);
    let fire = move || {
        if let Some(rt) = weak.upgrade() {
            rt.borrow_mut().timer = None;
            dispatch(&rt, Input::Tick);
        }
    };
    let delay = Duration::from_millis(at.saturating_sub(now()).min(LONGEST));
    match set_timeout_with_handle(fire, delay) {
        Ok(timer) => r.timer = Some((at, timer)),
        Err(e) => leptos::logging::warn!("could not arm the realtime timer: {e:?}"),
    }
}
