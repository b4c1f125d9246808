/* cmdb-server-private.h: the web UI of `cmdbuilder serve` (not installed).
 *
 * One single-threaded libsoup 3 server on the main loop. Pages and plugins
 * produce data (the evaluated form state as JSON); this module is the one
 * place that turns that data into HTML (cmdb-server-render.c) and the JSON
 * API answers. Security follows the notebook servers: a random token
 * exchanged for an HttpOnly SameSite=Strict cookie, a Host header allow list
 * against DNS rebinding, and an Origin check on state-changing requests.
 */
#pragma once

#include <libsoup/soup.h>
#include "cmdbuilder.h"
#include "host/cmdb-host-private.h"

G_BEGIN_DECLS

#define CMDB_SERVER_ERROR (cmdb_server_error_quark ())

typedef enum
{
  CMDB_SERVER_ERROR_FAILED,
  CMDB_SERVER_ERROR_UNSAFE_BIND,   /* --no-token on an address that is not loopback */
  CMDB_SERVER_ERROR_LISTEN,        /* the address or port cannot be used */
  CMDB_SERVER_ERROR_NOT_COMPOSING, /* a run Hydra would not compose, not forced */
} CmdbServerError;

GQuark cmdb_server_error_quark (void);

/* ---- security (cmdb-server-security.c): pure functions ---- */

/* (transfer full): 32 bytes from the kernel's random source, URL-safe
 * base64 without padding (43 characters). */
char *cmdb_server_token_new (void);
/* Compares in time independent of where the strings differ. */
gboolean cmdb_server_token_equal (const char *expected, const char *given);
/* TRUE when @host_header (a Host header: "name", "name:port", "[v6]:port")
 * names localhost, 127.0.0.1 or [::1], or one of @allowed_hosts (compared
 * without the port, case-insensitively; an entry with a port must match
 * exactly). NULL or empty is refused. */
gboolean cmdb_server_host_is_allowed (const char *host_header, GPtrArray *allowed_hosts);
/* TRUE when @origin is exactly "http://" + @host_header (case-insensitive). */
gboolean cmdb_server_origin_matches (const char *origin, const char *host_header);
/* TRUE for 127.0.0.0/8, ::1 and "localhost". */
gboolean cmdb_server_bind_is_loopback (const char *address);
/* (transfer full) (nullable): the value of cookie @name in a Cookie header. */
char *cmdb_server_cookie_lookup (const char *cookie_header, const char *name);

/* ---- HTML (cmdb-server-render.c): the one renderer ---- */

/* Appends @text HTML-escaped (& < > " ' all escaped, so it is safe in text
 * and in quoted attribute values). */
void cmdb_html_append_escaped (GString *out, const char *text);

typedef struct
{
  const char *id;
  const char *title;
  const char *icon; /* (nullable) */
} CmdbHtmlPageLink;

/* What one page view shows, all data: the renderer decides the markup. */
typedef struct
{
  const char *page_id;
  const char *page_title;
  JsonObject *form;             /* (nullable) cmdb_form_state_to_json() */
  JsonObject *command;          /* (nullable) cmdb_command_to_json() plus "pretty" */
  const char *edited;           /* (nullable) the command text as the user left it */
  const char *previous;         /* (nullable) the command generated before the current one */
  const char *defaults_command; /* (nullable) the command of the page's defaults */
  JsonArray *use_cases;         /* (nullable) cmdb_use_case_to_json() objects */
  const char *active_use_case;  /* (nullable) */
  const char *error;            /* (nullable) a page that could not be opened */
  const char *notice;           /* (nullable) a one-line status ("Command generated") */
  guint picker_threshold;       /* sources with more options get the search picker */
  gboolean suffix_available;    /* the page offers the exp_name suffix checkbox (X-Suffix) */
  gboolean suffix;              /* the checkbox's state */
  JsonObject *last_run;         /* (nullable) cmdb_run_to_json() of the page's last run */
  /* The edited text read against the form (all unset without an edit). */
  gboolean form_not_in_effect;   /* Run executes the text, which the form does not give */
  GPtrArray *extras;             /* (nullable) (element-type utf8) words no field owns */
  GPtrArray *differences;        /* (nullable) (element-type utf8) text vs form */
  const char *command_problem;   /* (nullable) a word that does not parse or fit */
  gssize command_problem_offset; /* where it starts in the text, -1 unknown */
  /* (nullable) (element-type CmdbProblem) what in the workspace's set-up
   * stops this page's runs (cmdb_page_session_check_setup): a banner. */
  GPtrArray *setup_problems;
} CmdbHtmlPageView;

/* (transfer full): the inner HTML of <main> for @view. */
char *cmdb_html_render_page_body (const CmdbHtmlPageView *view);
/* (transfer full): a whole document: sidebar of @pages (the current one
 * marked), and @body_html (already rendered) in <main>. */
char *cmdb_html_render_document (const char *title, const CmdbHtmlPageLink *pages, guint n_pages,
                                 const char *current_id, const char *body_html);
/* (transfer full): a small standalone page with a heading and a message
 * (errors: 401, 403, 404). */
char *cmdb_html_render_message (const char *title, const char *message);
/* (transfer full): what differs between the commands @before and @after,
 * as HTML: one <del>/<ins> line per removed, added or changed word (an
 * override whose value changed shows its old and new word together), and
 * how many words are the same, not listed. */
char *cmdb_html_render_diff (const char *before, const char *after);
/* (transfer none): a short hash of the embedded stylesheet and script. Pages
 * link them as /assets/NAME?v=VERSION, which may be cached for good: a new
 * executable with other assets links other addresses. */
const char *cmdb_html_asset_version (void);
/* (transfer full): @document (as cmdb_html_render_document() made it) with
 * a script at the top of its head that replaces the address in the
 * browser's address bar and history by @address (a path of ours), before
 * anything else is fetched: how the first page, answered to the URL with
 * the token, drops the token without a redirect. */
char *cmdb_html_document_with_address (const char *document, const char *address);
/* (transfer none): the Content-Security-Policy of every answer: scripts
 * and styles of our own origin only, plus the one inline script above,
 * allowed by its hash (never 'unsafe-inline'). */
const char *cmdb_html_content_security_policy (void);

/* ---- per-page state (cmdb-server-state.c) ---- */

typedef struct
{
  char *page_id;
  char *workspace;       /* (nullable) the root its texts were generated in (format 1: unknown) */
  JsonObject *values;    /* key -> value the user set (only those) */
  char *edited;          /* (nullable) the command text as edited */
  char *generated;       /* (nullable) the last generated command */
  char *previous;        /* (nullable) the one generated before it */
  char *active_use_case; /* (nullable) */
  int suffix;            /* "Append architecture + encoder": -1 follows the default, 0 off, 1 on */
  JsonNode *last_run;    /* (nullable) opaque: the run panel's record */
  /*< private >*/
  char *written;       /* the JSON last read or written, to skip no-op writes */
  gboolean frozen;     /* the file is of a newer format: never written over */
  gboolean unreadable; /* the file could not be read: moved aside at the next write */
  gboolean writing;    /* a write is in a worker thread (cmdb_page_store_save_async) */
  GPtrArray *waiting;  /* (element-type GTask) saves asked for since it started */
  char *state_dir;     /* where the asynchronous saves write */
} CmdbPageStore;

/* (transfer full): the empty state of @page_id (its defaults apply), with
 * one reference. A store is reference counted: a write in flight holds
 * one, so whoever drops theirs meanwhile (a server stopping before its
 * saves ended) never frees it under the write. Main thread only. */
CmdbPageStore *cmdb_page_store_new (const char *page_id);
CmdbPageStore *cmdb_page_store_ref (CmdbPageStore *store);
void cmdb_page_store_unref (CmdbPageStore *store);
/* (transfer full): the stored state of @page_id under @state_dir (any
 * format version up to the current one), or an empty one when there is
 * none, it is unreadable or a newer build wrote it (reported once; see
 * cmdb_page_store_save_async). */
CmdbPageStore *cmdb_page_store_load (const char *state_dir, const char *page_id);
/* Moves the command texts and values of @store from the workspace they
 * were generated in to @root (a moved or cloned workspace); the next save
 * records @root. */
void cmdb_page_store_relocate (CmdbPageStore *store, const char *root);
/* Forgets the values, the edited command, the suffix choice and the active
 * use case (Reset). */
void cmdb_page_store_reset (CmdbPageStore *store);
/* (transfer full) */
JsonNode *cmdb_page_store_to_json (CmdbPageStore *store);
/* Whether cmdb_page_store_to_json (@store) would hold the same as @node
 * (member order aside): what a cached view checks instead of serialising
 * the store on every request. */
gboolean cmdb_page_store_equals_json (CmdbPageStore *store, JsonNode *node);
/* Writes the state atomically (temporary file + rename), in the current
 * format version, when it differs from what was last read or written;
 * never over a file of a newer format, and an unreadable file is first
 * renamed to <file>.unreadable. The write happens in a worker thread, so
 * the main loop stays free. Writes of one store happen one at a time, in
 * order; saves asked for while one is written are merged into one write of
 * the newest state. @callback (nullable) runs on the main
 * context once the write holding this save's state has finished (at once
 * for a save with nothing new); get its outcome with
 * cmdb_page_store_save_finish(). The write keeps a reference to the store
 * until it has ended and the next write (with the saves asked for
 * meanwhile) has started, so the caller may drop its own at any time. */
void cmdb_page_store_save_async (CmdbPageStore *store, const char *state_dir,
                                 GAsyncReadyCallback callback, gpointer user_data);
gboolean cmdb_page_store_save_finish (GAsyncResult *result, GError **error);
/* TRUE while a write of @store is in flight or waiting. */
gboolean cmdb_page_store_is_saving (CmdbPageStore *store);
/* (transfer full) (nullable): the page visited last, from
 * <state_dir>/ui/server.json. */
char *cmdb_server_state_load_last_page (const char *state_dir);
gboolean cmdb_server_state_save_last_page (const char *state_dir, const char *page_id,
                                           GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbPageStore, cmdb_page_store_unref)

/* ---- the server (cmdb-server.c) ---- */

/* ---- access that survives restarts (cmdb-server-access.c) ---- */

/* (transfer full): the token kept in <@state_dir>/ui/token (0600), made
 * and written there when there is none usable or @renew (--new-token).
 * NULL with @error when it cannot be written. */
char *cmdb_server_access_token (const char *state_dir, gboolean renew, GError **error);
/* Records <@state_dir>/ui/serving (0600): this process and @url, for
 * `cmdbuilder url`. */
gboolean cmdb_server_access_publish (const char *state_dir, const char *url, GError **error);
/* Removes the record when it is this process's. */
void cmdb_server_access_withdraw (const char *state_dir);
/* (transfer full) (nullable): the start URL of the server running for the
 * workspace of @state_dir, or NULL when none runs. */
char *cmdb_server_access_running_url (const char *state_dir);

typedef struct
{
  const char *bind;         /* (nullable) default [server] bind */
  int port;                 /* < 0: [server] port; 0: any free port */
  GPtrArray *allowed_hosts; /* (nullable) (element-type utf8) besides [server] allowed-hosts */
  gboolean no_token;
  gboolean new_token; /* a new kept token instead of the one kept (--new-token) */
} CmdbServerOptions;

typedef struct _CmdbServer CmdbServer;

/* (transfer full): a server for @context and @host (both kept referenced),
 * not listening yet. NULL with UNSAFE_BIND when @options asks for no token
 * on an address that is not loopback. */
CmdbServer *cmdb_server_new (CmdbContext *context, CmdbHost *host, const CmdbServerOptions *options,
                             GError **error);
void cmdb_server_free (CmdbServer *server);
/* Calls @done (@done_data) from the main loop once no state save is in
 * flight and every answer waiting for one has gone out, or after 10 s:
 * `serve` stops its loop from there, so a change that was answered is on
 * disk, while the loop keeps serving meanwhile. */
void cmdb_server_when_saved (CmdbServer *server, GSourceFunc done, gpointer done_data);
/* Starts listening on the main context. */
gboolean cmdb_server_listen (CmdbServer *server, GError **error);
/* Serves the connection @stream (any pollable GIOStream, kept referenced)
 * as if it had been accepted on 127.0.0.1, without listening: the fuzz
 * harness of the request path feeds requests from memory this way. */
gboolean cmdb_server_accept_stream (CmdbServer *server, GIOStream *stream, GError **error);
/* (transfer none): the libsoup server (created when first asked for). */
SoupServer *cmdb_server_get_soup (CmdbServer *server);
/* (transfer full): the URL to open: http://ADDR:PORT/?token=TOKEN (no
 * token part with no_token). Valid after listening. */
char *cmdb_server_get_start_url (CmdbServer *server);
/* (transfer none) */
const char *cmdb_server_get_token (CmdbServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbServer, cmdb_server_free)

/* ---- runs (cmdb-server-render-runs.c) ---- */

/* The execution panel of a page (status, Run/Stop, output, history). */
/* @invalid: the page's command has errors, so Run is off (and says why). */
void cmdb_html_render_execution_panel (GString *out, const char *page_id, JsonObject *last_run,
                                       gboolean invalid);
/* (transfer full): a table of runs (cmdb_run_to_json() objects). */
char *cmdb_html_render_run_list (JsonArray *runs, gboolean show_page);

/* ---- sweeps (cmdb-server-render-sweeps.c) ---- */

/* (transfer full): a sweep's comparison page body (state, members sorted
 * by @sort: "index", "status", "exit", "duration", "key:KEY" or
 * "metric:NAME", NULL for the members' order) from @report
 * (cmdb_sweep_report); @page_title names the sweep's page. */
char *cmdb_html_render_sweep (JsonObject *report, const char *page_title, const char *sort,
                              gboolean descending);
/* (transfer full): the executor selector of the execution panel (from
 * GET /api/executors' list), "" when there is only one executor. */
char *cmdb_html_render_executor_choice (JsonArray *executors, const char *default_id);
/* (transfer full): an executor's option form (GET /api/executors/<id>/form's
 * answer) as a fieldset; each input carries data-option, its
 * executor_options key. */
char *cmdb_html_render_executor_form (JsonObject *form);
/* (transfer full): the Predict page's submission export panel. */
char *cmdb_html_render_export_panel (JsonObject *choices);

/* ---- request bodies (cmdb-server-respond.c) ---- */

/* (transfer full) (nullable): the request body; NULL when too large (413
 * already answered). */
char *cmdb_server_request_body (SoupServerMessage *msg);
/* (transfer full) (nullable): @text parsed as a JSON object ("" is {}). */
JsonObject *cmdb_server_parse_json_object (const char *text, GError **error);
/* (transfer full) (nullable): the request body as a JSON object; NULL when
 * it is too large (413) or not a JSON object (400), already answered. */
JsonObject *cmdb_server_request_json_object (SoupServerMessage *msg);

G_END_DECLS
