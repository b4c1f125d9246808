#define G_LOG_DOMAIN "cmdb-server"

/* Pages: the page controller of the web UI. A page's view (GET /<page>,
 * and the form without JavaScript, POST /<page>), the pages API (list,
 * state, changes, command.sh) and evaluate/build of given values, all
 * through the page session the CLI uses. Each page's state (the user's
 * values, the edited command) is kept per page and saved in a worker
 * thread; a request that changed it is answered once it is saved. */

#include "cmdb-server-resource-private.h"
#include "cmdb-server-page-evaluation-private.h"
#include "sweep/cmdb-sweep-private.h"
#include "cmdb-server-deferred-private.h"
#include "base/cmdb-json-private.h"
#include "schema/cmdb-schema-defaults.h"
#include "session/cmdb-page-session-private.h"

#include <string.h>

/* A value the user sets is stored in the page state: a command argument
 * never needs more. */
#define MAX_STORED_VALUE_BYTES (64 * 1024)
/* Sources with more choices than this get the search picker. */
#define PICKER_THRESHOLD 40

/* Decodes application/x-www-form-urlencoded keeping repeated names (a
 * multiselect posts one pair per choice). Returns (element-type utf8)
 * name, value, name, value... */
static GPtrArray *
decode_form_pairs (const char *body)
{
  GPtrArray *pairs = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) parts = g_strsplit (body, "&", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *equals;
      char *name;
      char *value;

      if (parts[i][0] == '\0')
        continue;
      g_strdelimit (parts[i], "+", ' ');
      equals = strchr (parts[i], '=');
      if (equals != NULL)
        *equals = '\0';
      name = g_uri_unescape_string (parts[i], NULL);
      value = g_uri_unescape_string (equals != NULL ? equals + 1 : "", NULL);
      if (name == NULL || value == NULL || !g_utf8_validate (value, -1, NULL))
        {
          g_free (name);
          g_free (value);
          continue;
        }
      g_ptr_array_add (pairs, name);
      g_ptr_array_add (pairs, value);
    }
  return pairs;
}

/* The cache key of a page's rendered view, followed by the page's id
 * (its last evaluation's: CMDB_PAGE_EVALUATION_KEY). */
#define VIEW_KEY "server:page-view:"

/* ---- the stored state of each page ---- */

CmdbPluginRecord *
cmdb_server_lookup_page (CmdbServer *self, const char *id)
{
  CmdbPluginRecord *record = cmdb_host_lookup (self->host, id);

  if (record == NULL || record->kind != CMDB_PLUGIN_KIND_PAGE || !record->enabled)
    return NULL;
  return record;
}

/* (transfer none): the stored state of @page_id (loaded on first use). */
CmdbPageStore *
cmdb_server_get_page_store (CmdbServer *self, const char *page_id)
{
  CmdbPageStore *store = g_hash_table_lookup (self->stores, page_id);

  if (store == NULL)
    {
      store = cmdb_page_store_load (cmdb_context_get_state_dir (self->context), page_id);
      cmdb_page_store_relocate (store, cmdb_context_get_root (self->context));
      g_hash_table_insert (self->stores, g_strdup (page_id), store);
    }
  return store;
}

void
cmdb_server_forget_page_views (CmdbServer *self)
{
  CmdbCache *cache = cmdb_context_get_cache (self->context);
  GHashTableIter iter;
  const char *page_id;

  g_hash_table_iter_init (&iter, self->stores);
  while (g_hash_table_iter_next (&iter, (gpointer *) &page_id, NULL))
    {
      g_autofree char *evaluation_key = g_strconcat (CMDB_PAGE_EVALUATION_KEY, page_id, NULL);
      g_autofree char *view_key = g_strconcat (VIEW_KEY, page_id, NULL);

      cmdb_cache_remove (cache, evaluation_key);
      cmdb_cache_remove (cache, view_key);
    }
}

static void
on_background_saved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree char *page_id = user_data;
  g_autoptr (GError) error = NULL;

  if (!cmdb_page_store_save_finish (result, &error))
    g_warning ("cannot save the state of page %s: %s", page_id, error->message);
}

/* Saves @store in the background (the request does not wait for it). */
void
cmdb_server_save_page_store (CmdbServer *self, CmdbPageStore *store)
{
  cmdb_page_store_save_async (store, cmdb_context_get_state_dir (self->context),
                              on_background_saved, g_strdup (store->page_id));
}

/* A save that failed on a request that changed state: never a 200. A full
 * disk is 507 Insufficient Storage, anything else 500. */
static guint
save_failure_status (const GError *error)
{
  return g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC)
             ? SOUP_STATUS_INSUFFICIENT_STORAGE
             : SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

/* The answer of a request that changed a page's state, sent once that
 * state is saved: the message is paused while the save is written in a
 * worker thread, so the main loop serves others meanwhile, and a save that
 * fails is still the request's answer. */
typedef struct
{
  char *page_id;
  char *answer;   /* (nullable) a JSON 200 answer (text) */
  char *location; /* (nullable) or a 303 to here (the form without JavaScript) */
} SavedAnswer;

static void
saved_answer_free (gpointer data)
{
  SavedAnswer *pending = data;

  g_free (pending->page_id);
  g_free (pending->answer);
  g_free (pending->location);
  g_free (pending);
}

static void
on_saved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CmdbServerDeferred *deferred = user_data;
  SavedAnswer *pending = cmdb_server_deferred_get_data (deferred);
  SoupServerMessage *msg = cmdb_server_deferred_get_message (deferred);
  g_autoptr (GError) error = NULL;

  if (!cmdb_page_store_save_finish (result, &error))
    {
      g_autofree char *message = g_strdup_printf (
          "the change was made but the page state could not be saved (%s); it is kept until "
          "the server stops and saved again with the next change",
          error->message);

      g_warning ("cannot save the state of page %s: %s", pending->page_id, error->message);
      if (msg != NULL && pending->location != NULL)
        cmdb_server_respond_html_message (msg, save_failure_status (error), "Not saved", message);
      else if (msg != NULL)
        cmdb_server_respond_json_error (msg, save_failure_status (error), message);
    }
  else if (msg != NULL && pending->location != NULL)
    cmdb_server_redirect (msg, SOUP_STATUS_SEE_OTHER, pending->location);
  else if (msg != NULL)
    cmdb_server_respond (msg, SOUP_STATUS_OK, "application/json",
                         g_steal_pointer (&pending->answer));
  cmdb_server_deferred_finish (deferred);
}

/* Answers @msg with @answer (transfer full) (or a redirect to @location)
 * once @store is saved. */
static void
answer_when_saved (CmdbServer *self, SoupServerMessage *msg, CmdbPageStore *store, char *answer,
                   const char *location)
{
  SavedAnswer *pending = g_new0 (SavedAnswer, 1);

  pending->page_id = g_strdup (store->page_id);
  pending->answer = answer;
  pending->location = g_strdup (location);
  cmdb_page_store_save_async (
      store, cmdb_context_get_state_dir (self->context), on_saved,
      cmdb_server_deferred_new (msg, self, self->saving, pending, saved_answer_free));
}

/* Marks @page_id shown (and the previous page left), and remembers it for
 * "/". Only requests for a page call this. */
static void
show_page (CmdbServer *self, const char *page_id)
{
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (self->shown_page, page_id) == 0)
    return;
  if (self->shown_page != NULL)
    cmdb_host_leave_page (self->host, self->shown_page);
  cmdb_host_show_page (self->host, page_id);
  g_free (self->shown_page);
  self->shown_page = g_strdup (page_id);
  if (!cmdb_server_state_save_last_page (cmdb_context_get_state_dir (self->context), page_id,
                                         &error))
    g_warning ("cannot remember the last page: %s", error->message);
}

/* Keeps the "generated" and "previous" commands of @store current: the
 * previous one is what the form produced before its last change. */
static gboolean
track_generated_display (CmdbPageStore *store, const char *display)
{
  if (display == NULL || g_strcmp0 (store->generated, display) == 0)
    return FALSE;
  g_free (store->previous);
  store->previous = g_steal_pointer (&store->generated);
  store->generated = g_strdup (display);
  return TRUE;
}

/* (nullable) (transfer none): the command that counts as "generated" (one
 * without errors), or NULL. */
static const char *
generated_display (CmdbPageEvaluation *evaluation)
{
  if (evaluation->command == NULL || evaluation->command->errors->len > 0)
    return NULL;
  return evaluation->command->display;
}

static void
track_generated (CmdbPageStore *store, CmdbPageEvaluation *evaluation)
{
  track_generated_display (store, generated_display (evaluation));
}

/* The page body for @evaluation (NULL: only @error_message) and @store,
 * with @last_run (nullable, transfer none) as the execution panel's run. */
static char *
render_body_with_run (CmdbServer *self, const char *page_id, CmdbPageStore *store,
                      CmdbPageEvaluation *evaluation, const char *error_message, const char *notice,
                      JsonNode *last_run)
{
  CmdbHtmlPageView view = { 0 };
  g_autoptr (JsonArray) use_cases = json_array_new ();
  CmdbPluginRecord *record = cmdb_server_lookup_page (self, page_id);

  view.page_id = page_id;
  view.page_title = record != NULL ? record->title : page_id;
  view.error = error_message;
  view.notice = notice;
  view.picker_threshold = PICKER_THRESHOLD;
  if (evaluation != NULL && evaluation->form != NULL)
    {
      view.form = json_node_get_object (cmdb_page_evaluation_form_node (evaluation));
      view.command = json_node_get_object (cmdb_page_evaluation_command_node (evaluation));
      view.defaults_command = evaluation->defaults_command;
      for (guint i = 0; evaluation->use_cases != NULL && i < evaluation->use_cases->len; i++)
        json_array_add_object_element (
            use_cases, cmdb_use_case_to_json (g_ptr_array_index (evaluation->use_cases, i)));
      view.use_cases = use_cases;
      view.suffix_available = evaluation->suffix_available;
      view.suffix = evaluation->suffix;
      view.setup_problems = evaluation->setup_problems;
    }
  if (store != NULL)
    {
      view.edited = store->edited;
      view.previous = store->previous;
      view.active_use_case = store->active_use_case;
      view.last_run = last_run != NULL ? json_node_get_object (last_run) : NULL;
    }
  view.command_problem_offset = -1;
  if (store != NULL && store->edited != NULL && evaluation != NULL && evaluation->reading != NULL)
    {
      CmdbCommandReading *reading = evaluation->reading;

      view.form_not_in_effect = !reading->in_effect;
      view.extras = reading->extras;
      view.differences = reading->differences;
      view.command_problem = reading->error;
      view.command_problem_offset = reading->error_offset;
    }
  return cmdb_html_render_page_body (&view);
}

static char *
render_body (CmdbServer *self, const char *page_id, CmdbPageStore *store,
             CmdbPageEvaluation *evaluation, const char *error_message, const char *notice)
{
  g_autoptr (JsonNode) last_run
      = store != NULL ? cmdb_server_runs_last_run_json (self, store) : NULL;

  return render_body_with_run (self, page_id, store, evaluation, error_message, notice, last_run);
}

static char *
render_document (CmdbServer *self, const char *current_id, const char *title, const char *body)
{
  g_autoptr (GPtrArray) pages = cmdb_host_list_pages (self->host);
  g_autofree CmdbHtmlPageLink *links = g_new0 (CmdbHtmlPageLink, pages->len + 1);

  for (guint i = 0; i < pages->len; i++)
    {
      CmdbPluginRecord *record = g_ptr_array_index (pages, i);
      links[i].id = record->id;
      links[i].title = record->title;
      links[i].icon = record->icon;
    }
  return cmdb_html_render_document (title, links, pages->len, current_id, body);
}

char *
cmdb_server_render_document (CmdbServer *self, const char *title, const char *body)
{
  return render_document (self, "", title, body);
}

/* ---- page views ----
 *
 * A GET of a page whose state has not changed is the common request
 * (reloads, page switches, a second tab, a script polling), and rendering
 * it from scratch costs an evaluation, a command build and the HTML (about
 * 3 M instructions). So the rendered page is a derived cache entry: the
 * evaluation inside records every file it read (schema, configs, directory
 * scans, the defaults command), and the page's stored state is compared by
 * its serialisation. There is one entry per page: a new state replaces the
 * old view instead of keeping a view of every state the user went through.
 * The full JSON answer (GET /api/pages/<id>: form, command, state, html),
 * asked for by scripts and the CLI over HTTP, is kept in the view too,
 * made once per view instead of on every request.
 */

typedef struct
{
  JsonNode *stored;    /* the stored state it was rendered for (cmdb_page_store_to_json) */
  char *stored_text;   /* the same as the store writes it */
  JsonNode *run;       /* (nullable) the last run's record it was rendered for */
  char *body;          /* the page body */
  char *generated;     /* (nullable) what track_generated() recorded */
  GBytes *document;    /* (nullable) the whole HTML document, made on first need */
  GBytes *answer;      /* (nullable) the ?view=html JSON answer, made on first need */
  GBytes *full_answer; /* (nullable) the full JSON answer, made on first need */
} PageView;

static void
page_view_clear (PageView *view)
{
  json_node_unref (view->stored);
  g_free (view->stored_text);
  g_clear_pointer (&view->run, json_node_unref);
  g_free (view->body);
  g_free (view->generated);
  g_clear_pointer (&view->document, g_bytes_unref);
  g_clear_pointer (&view->answer, g_bytes_unref);
  g_clear_pointer (&view->full_answer, g_bytes_unref);
}

/* (transfer full): @text (transfer full) as the body of answers, handed
 * to libsoup without a copy. */
static GBytes *
bytes_of_text (char *text)
{
  return g_bytes_new_take (text, strlen (text));
}

/* (transfer full): a copy of @bytes (made by bytes_of_text()) as text. */
static char *
text_of_bytes (GBytes *bytes)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);

  return g_strndup (data, size);
}

static PageView *
page_view_ref (PageView *view)
{
  return g_rc_box_acquire (view);
}

static void
page_view_unref (PageView *view)
{
  g_rc_box_release_full (view, (GDestroyNotify) page_view_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PageView, page_view_unref)

typedef struct
{
  CmdbServer *self;
  const char *page_id;
  CmdbPageStore *store;
  JsonNode *last_run; /* (nullable) */
  gboolean computed;  /* set when the view was rendered for this request */
  gboolean tracked;   /* set when the computation changed the store */
} PageViewRequest;

/* (transfer full): the JSON @text (written by json_to_string()) read back:
 * a copy that shares nothing. */
static JsonNode *
deep_copy (const char *text)
{
  g_autoptr (GError) error = NULL;
  JsonNode *node = cmdb_json_parse (text, -1, &error);

  if (node == NULL)
    {
      g_critical ("JSON written by json-glib did not read back: %s", error->message);
      node = json_node_new (JSON_NODE_NULL);
    }
  return node;
}

static gpointer
compute_page_view (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
                   GError **error)
{
  PageViewRequest *request = user_data;
  g_autoptr (CmdbPageEvaluation) evaluation = NULL;
  g_autoptr (JsonNode) stored = cmdb_page_store_to_json (request->store);
  PageView *view;

  if ((evaluation
       = cmdb_server_evaluate_page (request->self, request->page_id, request->store, error))
      == NULL)
    return NULL;
  request->computed = TRUE;
  view = g_rc_box_new0 (PageView);
  /* The state before this view's own "generated" step, as the request
   * found it: the next request, after the step, renders once more.
   * Compact, as the store writes it: the same text tells whether a save
   * is needed (a pretty one never equalled it, so every view saved). */
  view->stored_text = json_to_string (stored, FALSE);
  /* Kept as a deep copy, read back from that text: the store's JSON
   * shares the store's values object, which later changes in place. */
  view->stored = deep_copy (view->stored_text);
  if (request->last_run != NULL)
    {
      g_autofree char *run_text = json_to_string (request->last_run, FALSE);

      view->run = deep_copy (run_text);
    }
  view->generated = g_strdup (generated_display (evaluation));
  /* The body shows the state after this view's own "generated" step. */
  request->tracked = track_generated_display (request->store, view->generated);
  view->body = render_body_with_run (request->self, request->page_id, request->store, evaluation,
                                     NULL, NULL, request->last_run);
  /* The document and the JSON answer, made later, are each about the
   * body's size. */
  *ret_size = sizeof *view + 2 * strlen (view->stored_text) + 3 * strlen (view->body);
  return view;
}

/* Whether @view was rendered for the stored state of @store and the last
 * run's record @last_run: compared member by member, without serialising
 * the store on every request. */
static gboolean
page_view_is_for (PageView *view, CmdbPageStore *store, JsonNode *last_run)
{
  return cmdb_page_store_equals_json (store, view->stored)
         && cmdb_json_node_identical (view->run, last_run);
}

/* (transfer full) (nullable): the rendered view of @page_id for its
 * stored state, from the cache when nothing it depends on changed.
 * @ret_changed: whether the store now differs from what was last saved
 * (the view's "generated" step may change it). NULL when the page cannot
 * be evaluated: the caller renders the error the uncached way. */
static PageView *
page_view (CmdbServer *self, const char *page_id, gboolean *ret_changed)
{
  CmdbCache *cache = cmdb_context_get_cache (self->context);
  CmdbPageStore *store = cmdb_server_get_page_store (self, page_id);
  g_autoptr (JsonNode) last_run = cmdb_server_runs_last_run_json (self, store);
  g_autofree char *key = g_strconcat (VIEW_KEY, page_id, NULL);
  PageViewRequest request = { self, page_id, store, last_run, FALSE, FALSE };
  PageView *view;
  gboolean changed;

  *ret_changed = FALSE;
  view = cmdb_cache_get_derived (cache, key, compute_page_view, &request,
                                 (GBoxedCopyFunc) page_view_ref, (GDestroyNotify) page_view_unref,
                                 NULL);
  /* One entry per page: a view of another state is replaced. */
  if (view != NULL && !request.computed && !page_view_is_for (view, store, last_run))
    {
      page_view_unref (view);
      cmdb_cache_remove (cache, key);
      view = cmdb_cache_get_derived (cache, key, compute_page_view, &request,
                                     (GBoxedCopyFunc) page_view_ref,
                                     (GDestroyNotify) page_view_unref, NULL);
    }
  /* Failures are not kept: the caller's uncached path reports them, and
   * the next request tries again. */
  if (view == NULL)
    {
      cmdb_cache_remove (cache, key);
      return NULL;
    }
  /* A computation applied the step to the store itself; on a hit this
   * replays it. The store held the view's state before the step, so its
   * text then was the view's. */
  changed = track_generated_display (store, view->generated) || request.tracked
            || g_strcmp0 (view->stored_text, store->written) != 0;
  *ret_changed = changed;
  return view;
}

/* page_view(), and the page marked shown, its state saved when the view's
 * "generated" step changed it. */
static PageView *
shown_page_view (CmdbServer *self, const char *page_id)
{
  gboolean changed = FALSE;
  PageView *view = page_view (self, page_id, &changed);

  if (view == NULL)
    return NULL;
  show_page (self, page_id);
  if (changed)
    cmdb_server_save_page_store (self, cmdb_server_get_page_store (self, page_id));
  return view;
}

/* Applies a change of one element typed as text (a form post, or a string
 * in the JSON API). Returns the typed value (transfer full) or NULL when the
 * key is unknown or the text does not fit. */
static JsonNode *
typed_value (CmdbSchema *schema, const char *key, const char *text, GError **error)
{
  g_autoptr (CmdbFormInput) scratch = cmdb_form_input_new ();
  JsonNode *node;

  if (!cmdb_form_input_set_text (scratch, schema, key, text, error))
    return NULL;
  node = cmdb_form_input_get (scratch, key);
  return node != NULL ? json_node_copy (node) : json_node_new (JSON_NODE_NULL);
}

/* The edited command as posted: the same as the generated one (ignoring
 * line-ending differences a textarea adds) means "follow the form". */
static void
apply_command_text (CmdbPageStore *store, const char *text)
{
  g_autofree char *normalised = NULL;
  GString *buffer;

  if (text == NULL)
    return;
  buffer = g_string_new (text);
  g_string_replace (buffer, "\r\n", "\n", 0);
  normalised = g_strstrip (g_string_free (buffer, FALSE));
  if (g_strcmp0 (normalised, store->edited) == 0)
    return;
  g_free (store->edited);
  store->edited = (store->generated != NULL && g_str_equal (normalised, store->generated))
                          || normalised[0] == '\0'
                      ? NULL
                      : g_strdup (normalised);
}

/* Whether the posted command @text differs from the one the page showed
 * (the edited text, else the generated one), ignoring what a textarea
 * changes (line endings, surrounding space). */
static gboolean
text_differs_from_shown (CmdbPageStore *store, const char *text)
{
  g_autoptr (GString) buffer = g_string_new (text);
  const char *shown = store->edited != NULL ? store->edited : store->generated;

  g_string_replace (buffer, "\r\n", "\n", 0);
  return g_strcmp0 (g_strstrip (buffer->str), shown) != 0;
}

/* An edited text sets the fields whose overrides it writes (the form and
 * the text then agree); a word that does not parse changes nothing. */
static void
map_command_onto_form (CmdbPageStore *store, CmdbPageEvaluation *evaluation)
{
  g_autoptr (CmdbCommandReading) reading
      = cmdb_page_evaluation_read_edited_command (store, evaluation);

  if (reading != NULL && reading->error == NULL && reading->input != NULL)
    cmdb_server_store_values_from_input (store, reading->input);
}

/* The text becomes the form's command plus @extras (or follows the form
 * again when there are none). */
static gboolean
text_follows_form (CmdbPageStore *store, CmdbPageEvaluation *evaluation, GPtrArray *extras)
{
  g_autoptr (GPtrArray) words = g_ptr_array_new ();
  g_autofree char *tail = NULL;

  if (evaluation->command == NULL)
    return FALSE;
  g_clear_pointer (&store->edited, g_free);
  if (extras->len > 0)
    {
      for (guint i = 0; i < extras->len; i++)
        g_ptr_array_add (words, g_ptr_array_index (extras, i));
      g_ptr_array_add (words, NULL);
      tail = cmdb_shell_join ((const char *const *) words->pdata);
      store->edited = g_strconcat (evaluation->command->display, " ", tail, NULL);
    }
  return TRUE;
}

static gboolean
apply_use_case (CmdbPageStore *store, CmdbPageEvaluation *evaluation, const char *use_case_id)
{
  for (guint i = 0; evaluation->use_cases != NULL && i < evaluation->use_cases->len; i++)
    {
      CmdbUseCase *use_case = g_ptr_array_index (evaluation->use_cases, i);

      if (g_strcmp0 (use_case->id, use_case_id) == 0)
        {
          g_autoptr (CmdbFormInput) input = cmdb_server_input_from_store (store);

          cmdb_form_input_apply_use_case (input, evaluation->schema, use_case);
          cmdb_server_store_values_from_input (store, input);
          g_free (store->active_use_case);
          store->active_use_case = g_strdup (use_case->id);
          return TRUE;
        }
    }
  return FALSE;
}

static void
apply_action (CmdbPageStore *store, CmdbPageEvaluation *evaluation, const char *action,
              const char *use_case_id, const char **ret_notice)
{
  if (action == NULL)
    return;
  if (g_str_equal (action, "reset"))
    {
      cmdb_page_store_reset (store);
      *ret_notice = "The form is back at its defaults.";
    }
  else if (g_str_equal (action, "generate"))
    {
      g_clear_pointer (&store->edited, g_free);
      *ret_notice = "Command generated from the form.";
    }
  else if (g_str_equal (action, "apply") && use_case_id != NULL)
    *ret_notice = apply_use_case (store, evaluation, use_case_id)
                      ? "Suggested setup applied."
                      : "That suggestion is not available.";
}

/* GET /<page>: the whole document. */
/* (transfer full): @document (transfer full) as @msg gets it: for the
 * navigation that carried the token, with the script that puts the page's
 * own address in the address bar instead. */
static char *
document_for (SoupServerMessage *msg, const char *page_id, char *document)
{
  g_autofree char *address = NULL;
  char *replaced;

  if (!cmdb_server_auth_token_in_address (msg))
    return document;
  address = g_strconcat ("/", page_id, NULL);
  replaced = cmdb_html_document_with_address (document, address);
  g_free (document);
  return replaced;
}

static void
serve_page (CmdbServer *self, SoupServerMessage *msg, const char *page_id)
{
  g_autoptr (CmdbPageEvaluation) evaluation = NULL;
  g_autoptr (GError) error = NULL;
  CmdbPageStore *store = cmdb_server_get_page_store (self, page_id);
  CmdbPluginRecord *record = cmdb_server_lookup_page (self, page_id);
  g_autofree char *body = NULL;
  g_autoptr (PageView) view = shown_page_view (self, page_id);
  gboolean ok;

  if (view != NULL)
    {
      if (view->document == NULL)
        view->document = bytes_of_text (render_document (self, page_id, record->title, view->body));
      if (cmdb_server_auth_token_in_address (msg))
        cmdb_server_respond (msg, SOUP_STATUS_OK, "text/html; charset=utf-8",
                             document_for (msg, page_id, text_of_bytes (view->document)));
      else
        cmdb_server_respond_bytes (msg, SOUP_STATUS_OK, "text/html; charset=utf-8", view->document);
      return;
    }

  evaluation = cmdb_server_evaluate_page (self, page_id, store, &error);
  ok = evaluation != NULL;
  if (ok)
    {
      show_page (self, page_id);
      track_generated (store, evaluation);
      cmdb_server_save_page_store (self, store);
    }
  body = render_body (self, page_id, store, ok ? evaluation : NULL, ok ? NULL : error->message,
                      NULL);
  cmdb_server_respond (
      msg, ok ? SOUP_STATUS_OK : SOUP_STATUS_INTERNAL_SERVER_ERROR, "text/html; charset=utf-8",
      document_for (msg, page_id, render_document (self, page_id, record->title, body)));
}

/* FALSE with @error when @value (of field @key) is too large to store. */
static gboolean
stored_value_fits (JsonNode *value, const char *key, GError **error)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  gsize size = 0;
  g_autofree char *text = NULL;

  json_generator_set_root (generator, value);
  text = json_generator_to_data (generator, &size);
  if (size <= MAX_STORED_VALUE_BYTES)
    return TRUE;
  g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED,
               "the value of %s is %zu bytes; at most %d are stored", key, size,
               MAX_STORED_VALUE_BYTES);
  return FALSE;
}

/* POST /<page>: the form without JavaScript. Values that differ from what
 * the form showed become the user's; then Post/Redirect/Get. */
static void
post_page_form (CmdbServer *self, SoupServerMessage *msg, const char *page_id)
{
  g_autoptr (CmdbPageEvaluation) evaluation = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *body = cmdb_server_request_body (msg);
  g_autoptr (GPtrArray) pairs = NULL;
  g_autoptr (GHashTable) posted = NULL;
  CmdbPageStore *store = cmdb_server_get_page_store (self, page_id);
  const char *action = NULL;
  const char *use_case_id = NULL;
  const char *command_text = NULL;
  const char *suffix_text = NULL;
  const char *notice = NULL;
  g_autofree char *location = NULL;

  if (body == NULL)
    return;
  if ((evaluation = cmdb_server_evaluate_page (self, page_id, store, &error)) == NULL)
    {
      cmdb_server_respond_html_message (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "Page unavailable",
                                        error->message);
      return;
    }
  pairs = decode_form_pairs (body);
  /* name -> GPtrArray of values, so repeated names (multiselect, the
   * checkbox's hidden "false") are all seen. */
  posted
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) g_ptr_array_unref);
  for (guint i = 0; i + 1 < pairs->len; i += 2)
    {
      const char *name = pairs->pdata[i];
      const char *value = pairs->pdata[i + 1];
      GPtrArray *values;

      if (g_str_equal (name, "_action"))
        action = value;
      else if (g_str_equal (name, "_use_case"))
        use_case_id = value;
      else if (g_str_equal (name, "_command"))
        command_text = value;
      else if (g_str_equal (name, "_suffix"))
        suffix_text = value; /* the hidden "false" first, the box's "true" last */
      else
        {
          values = g_hash_table_lookup (posted, name);
          if (values == NULL)
            g_hash_table_insert (posted, (gpointer) name, values = g_ptr_array_new ());
          g_ptr_array_add (values, (gpointer) value);
        }
    }

  if (action == NULL || !g_str_equal (action, "reset"))
    {
      GHashTableIter iter;
      gpointer key, value;
      gboolean fields_changed = FALSE;
      gboolean text_changed = command_text != NULL && text_differs_from_shown (store, command_text);
      g_autoptr (GPtrArray) follow_extras = NULL;

      g_hash_table_iter_init (&iter, posted);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          const CmdbFieldState *field = cmdb_form_state_lookup (evaluation->form, key);
          GPtrArray *values = value;
          g_autoptr (JsonNode) node = NULL;

          if (field == NULL || !field->visible)
            continue;
          if (field->element->type == CMDB_ELEMENT_MULTISELECT)
            {
              JsonArray *array = json_array_new ();
              for (guint i = 0; i < values->len; i++)
                if (((const char *) values->pdata[i])[0] != '\0')
                  json_array_add_string_element (array, values->pdata[i]);
              node = json_node_init_array (json_node_alloc (), array);
              json_array_unref (array);
            }
          else
            node = typed_value (evaluation->schema, key, values->pdata[values->len - 1], NULL);
          if (node == NULL)
            continue;
          if (field->value != NULL && json_node_equal (field->value, node))
            continue;
          if (!stored_value_fits (node, key, &error))
            {
              cmdb_server_respond_html_message (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                                                "Value too large", error->message);
              return;
            }
          json_object_set_member (store->values, key, g_steal_pointer (&node));
          fields_changed = TRUE;
        }
      /* The edited text, as the script sends it: "Use the edited text"
       * reads it back onto the form (its overrides win over the fields
       * posted with it); a field changed under an edit the form is in
       * effect for makes the text follow the form, keeping the extras. */
      if (action != NULL && g_str_equal (action, "command") && text_changed)
        {
          apply_command_text (store, command_text);
          map_command_onto_form (store, evaluation);
        }
      else if (fields_changed && !text_changed && store->edited != NULL
               && evaluation->reading != NULL && evaluation->reading->in_effect)
        follow_extras = g_ptr_array_ref (evaluation->reading->extras);
      else
        apply_command_text (store, command_text);
      if (follow_extras != NULL)
        {
          g_clear_pointer (&evaluation, cmdb_page_evaluation_unref);
          if ((evaluation = cmdb_server_evaluate_page (self, page_id, store, NULL)) != NULL)
            text_follows_form (store, evaluation, follow_extras);
        }
      /* Like the fields: only a change from what was shown is the user's. */
      if (suffix_text != NULL && evaluation->suffix_available
          && g_str_equal (suffix_text, "true") != evaluation->suffix)
        store->suffix = g_str_equal (suffix_text, "true") ? 1 : 0;
    }
  apply_action (store, evaluation, action, use_case_id, &notice);

  g_clear_pointer (&evaluation, cmdb_page_evaluation_unref);
  if ((evaluation = cmdb_server_evaluate_page (self, page_id, store, NULL)) != NULL)
    track_generated (store, evaluation);
  location = g_strconcat ("/", page_id, NULL);
  answer_when_saved (self, msg, store, NULL, location);
}

/* (transfer full): the JSON answer about one page, as text: what the UI
 * swaps in. With @html_only (?view=html, what app.js asks for) only page,
 * title, notice and html: the page's data would double the answer and the
 * script does not read it. Written directly rather than as a json-glib
 * tree: the tree of the form and the escaping of the page body cost more
 * than everything else in a change request. */
static char *
page_answer (CmdbServer *self, const char *page_id, CmdbPageStore *store,
             CmdbPageEvaluation *evaluation, const char *notice, gboolean html_only)
{
  CmdbPluginRecord *record = cmdb_server_lookup_page (self, page_id);
  gboolean changed;
  /* Without a notice the body is the page's view for the new state: the
   * cached one, which a GET of the page then finds. */
  g_autoptr (PageView) view = notice == NULL ? page_view (self, page_id, &changed) : NULL;
  g_autofree char *rendered
      = view == NULL ? render_body (self, page_id, store, evaluation, NULL, notice) : NULL;
  const char *html = view != NULL ? view->body : rendered;
  GString *out = g_string_sized_new (strlen (html) + 16384);

  g_string_append (out, "{\"page\":");
  cmdb_json_append_string (out, page_id);
  g_string_append (out, ",\"title\":");
  cmdb_json_append_string (out, record->title);
  if (!html_only)
    {
      g_autoptr (JsonNode) state = cmdb_page_store_to_json (store);
      g_autofree char *state_text = json_to_string (state, FALSE);

      g_string_append (out, ",\"form\":");
      g_string_append (out, cmdb_page_evaluation_form_text (evaluation));
      g_string_append (out, ",\"command\":");
      g_string_append (out, cmdb_page_evaluation_command_text (evaluation));
      g_string_append_printf (out, ",\"suffix\":{\"available\":%s,\"enabled\":%s,\"default\":%s}",
                              evaluation->suffix_available ? "true" : "false",
                              evaluation->suffix ? "true" : "false",
                              evaluation->suffix_default ? "true" : "false");
      g_string_append (out, ",\"state\":");
      g_string_append (out, state_text);
      /* The page's set-up problems (its banner): [{message, path}]. */
      g_string_append (out, ",\"setup_problems\":[");
      for (guint i = 0; evaluation->setup_problems != NULL && i < evaluation->setup_problems->len;
           i++)
        {
          const CmdbProblem *problem = g_ptr_array_index (evaluation->setup_problems, i);

          g_string_append (out, i > 0 ? ",{\"message\":" : "{\"message\":");
          cmdb_json_append_string (out, problem->message);
          g_string_append (out, ",\"path\":");
          if (problem->path != NULL)
            cmdb_json_append_string (out, problem->path);
          else
            g_string_append (out, "null");
          g_string_append_c (out, '}');
        }
      g_string_append_c (out, ']');
    }
  g_string_append (out, ",\"notice\":");
  if (notice != NULL)
    cmdb_json_append_string (out, notice);
  else
    g_string_append (out, "null");
  g_string_append (out, ",\"html\":");
  cmdb_json_append_string (out, html);
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

/* (transfer full): page_answer()'s ?view=html shape for a cached body. */
static JsonNode *
page_answer_html (const char *page_id, const char *title, const char *body)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "page");
  json_builder_add_string_value (builder, page_id);
  json_builder_set_member_name (builder, "title");
  json_builder_add_string_value (builder, title);
  json_builder_set_member_name (builder, "notice");
  json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "html");
  json_builder_add_string_value (builder, body);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
api_page_get (CmdbServer *self, SoupServerMessage *msg, const char *page_id, gboolean html_only)
{
  g_autoptr (CmdbPageEvaluation) evaluation = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = NULL;
  CmdbPageStore *store = cmdb_server_get_page_store (self, page_id);

  /* What app.js asks for on a page switch: the cached view's body. */
  if (html_only)
    {
      g_autoptr (PageView) view = shown_page_view (self, page_id);

      if (view != NULL)
        {
          if (view->answer == NULL)
            {
              g_autoptr (JsonNode) node = page_answer_html (
                  page_id, cmdb_server_lookup_page (self, page_id)->title, view->body);
              view->answer = bytes_of_text (json_to_string (node, FALSE));
            }
          cmdb_server_respond_bytes (msg, SOUP_STATUS_OK, "application/json", view->answer);
          return;
        }
    }

  else
    {
      /* The full answer kept in the page's view, while it is valid. */
      gboolean changed = FALSE;
      g_autoptr (PageView) view = page_view (self, page_id, &changed);

      if (view != NULL && view->full_answer != NULL)
        {
          show_page (self, page_id);
          if (changed)
            answer_when_saved (self, msg, store, text_of_bytes (view->full_answer), NULL);
          else
            cmdb_server_respond_bytes (msg, SOUP_STATUS_OK, "application/json", view->full_answer);
          return;
        }
    }

  if ((evaluation = cmdb_server_evaluate_page (self, page_id, store, &error)) == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  show_page (self, page_id);
  track_generated (store, evaluation);
  answer = page_answer (self, page_id, store, evaluation, NULL, html_only);
  if (!html_only)
    {
      /* Kept in the view of the state it describes (the one page_answer()
       * took its html from), for the next request. */
      gboolean changed = FALSE;
      g_autoptr (PageView) view = page_view (self, page_id, &changed);

      if (view != NULL && view->full_answer == NULL)
        view->full_answer = bytes_of_text (g_strdup (answer));
    }
  answer_when_saved (self, msg, store, g_steal_pointer (&answer), NULL);
}

/* The "suffix" member of a POST: true or false is the user's choice, null
 * goes back to the default. */
static gboolean
apply_suffix_member (CmdbPageStore *store, CmdbPageEvaluation *evaluation, JsonNode *node,
                     const char *page_id, GError **error)
{
  if (!evaluation->suffix_available)
    {
      g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED,
                   "page %s has no experiment name suffix option", page_id);
      return FALSE;
    }
  if (JSON_NODE_HOLDS_NULL (node))
    store->suffix = -1;
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    store->suffix = json_node_get_boolean (node) ? 1 : 0;
  else
    {
      g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED,
                   "suffix must be true, false or null");
      return FALSE;
    }
  return TRUE;
}

/* POST /api/pages/<id>: {changes: {key: value}, command: text, action:
 * "generate"|"reset"|"apply", use_case: id}. Every change is the user's. */
static void
api_page_post (CmdbServer *self, SoupServerMessage *msg, const char *page_id, gboolean html_only)
{
  g_autoptr (CmdbPageEvaluation) evaluation = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) request = NULL;
  g_autofree char *answer = NULL;
  CmdbPageStore *store = cmdb_server_get_page_store (self, page_id);
  JsonNode *changes_node;
  const char *notice = NULL;
  g_autoptr (GPtrArray) follow_extras = NULL;

  request = cmdb_server_request_json_object (msg);
  if (request == NULL)
    return;
  if ((evaluation = cmdb_server_evaluate_page (self, page_id, store, &error)) == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  changes_node = json_object_get_member (request, "changes");
  /* A form change after an edit the form is in effect for: the text
   * follows the form, keeping the extras the user added. */
  if (changes_node != NULL && JSON_NODE_HOLDS_OBJECT (changes_node)
      && json_object_get_size (json_node_get_object (changes_node)) > 0
      && !json_object_has_member (request, "command") && evaluation->reading != NULL
      && evaluation->reading->in_effect)
    follow_extras = g_ptr_array_ref (evaluation->reading->extras);
  if (changes_node != NULL && JSON_NODE_HOLDS_OBJECT (changes_node))
    {
      JsonObject *changes = json_node_get_object (changes_node);
      g_autoptr (GList) keys = json_object_get_members (changes);

      for (GList *l = keys; l != NULL; l = l->next)
        {
          JsonNode *value = json_object_get_member (changes, l->data);
          JsonNode *typed;

          if (cmdb_schema_lookup (evaluation->schema, l->data) == NULL)
            {
              g_autofree char *message
                  = g_strdup_printf ("page %s has no field %s", page_id, (const char *) l->data);
              cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, message);
              return;
            }
          if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
            {
              typed
                  = typed_value (evaluation->schema, l->data, json_node_get_string (value), &error);
              /* Text that does not fit its field is kept as typed: the
               * evaluation reports it under the field (as the CLI does for
               * --set) and the user fixes it there. */
              if (typed == NULL
                  && g_error_matches (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_INVALID))
                {
                  g_clear_error (&error);
                  typed = json_node_copy (value);
                }
              if (typed == NULL)
                {
                  cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, error->message);
                  return;
                }
            }
          else
            typed = json_node_copy (value);
          if (!stored_value_fits (typed, l->data, &error))
            {
              json_node_unref (typed);
              cmdb_server_respond_json_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                                              error->message);
              return;
            }
          json_object_set_member (store->values, l->data, typed);
        }
    }
  if (json_object_has_member (request, "suffix")
      && !apply_suffix_member (store, evaluation, json_object_get_member (request, "suffix"),
                               page_id, &error))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      return;
    }
  if (json_object_has_member (request, "command")
      && JSON_NODE_HOLDS_VALUE (json_object_get_member (request, "command")))
    {
      apply_command_text (store, json_object_get_string_member (request, "command"));
      map_command_onto_form (store, evaluation);
    }
  if (json_object_has_member (request, "action"))
    apply_action (store, evaluation, json_object_get_string_member (request, "action"),
                  json_object_has_member (request, "use_case")
                      ? json_object_get_string_member (request, "use_case")
                      : NULL,
                  &notice);

  g_clear_pointer (&evaluation, cmdb_page_evaluation_unref);
  if ((evaluation = cmdb_server_evaluate_page (self, page_id, store, &error)) == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  /* The text follows the form; the page is then judged (composition
   * included) on the text that Run will execute. */
  if (follow_extras != NULL && store->edited != NULL
      && text_follows_form (store, evaluation, follow_extras))
    {
      g_clear_pointer (&evaluation, cmdb_page_evaluation_unref);
      if ((evaluation = cmdb_server_evaluate_page (self, page_id, store, &error)) == NULL)
        {
          cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
          return;
        }
    }
  show_page (self, page_id);
  track_generated (store, evaluation);
  answer = page_answer (self, page_id, store, evaluation, notice, html_only);
  answer_when_saved (self, msg, store, g_steal_pointer (&answer), NULL);
}

/* POST /api/evaluate/<id> and /api/build/<id>: pure functions of
 * {values, user_set, suffix}; nothing is stored. The verdict is the
 * session's strict one, the same as `cmdbuilder build` gives for the same
 * text: a string value is read as typed (as --set reads it), and a value
 * that does not fit is an error, never replaced by the default. Input that
 * cannot be read at all (an unknown key, text that is not a number) is 400
 * with the same message as the CLI's. */
static void
api_evaluate (CmdbServer *self, SoupServerMessage *msg, const char *page_id, gboolean build)
{
  g_autoptr (CmdbPageEvaluation) evaluation = cmdb_page_evaluation_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (CmdbFormInput) input = NULL;
  g_autoptr (CmdbPageStore) scratch = NULL;
  JsonNode *suffix_node;

  request = cmdb_server_request_json_object (msg);
  if (request == NULL)
    return;
  if (!cmdb_page_evaluation_open (self, page_id, evaluation, &error))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  input = cmdb_page_session_read_json_input (evaluation->session, request, &error);
  if (input == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      return;
    }
  evaluation->form
      = cmdb_page_session_evaluate (evaluation->session, input, CMDB_PAGE_SESSION_STRICT);
  if (!build)
    {
      g_autoptr (JsonNode) node = cmdb_form_state_to_json (evaluation->form);
      cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
      return;
    }
  scratch = cmdb_page_store_new (page_id);
  suffix_node = json_object_get_member (request, "suffix");
  if (suffix_node != NULL && !JSON_NODE_HOLDS_NULL (suffix_node))
    {
      evaluation->suffix_available = cmdb_page_session_has_suffix_option (evaluation->session);
      if (!apply_suffix_member (scratch, evaluation, suffix_node, page_id, &error))
        {
          cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, error->message);
          return;
        }
    }
  cmdb_page_evaluation_resolve_suffix (scratch, evaluation);
  evaluation->command
      = cmdb_page_session_build (evaluation->session, evaluation->form, evaluation->suffix, &error);
  if (evaluation->command == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, error->message);
      return;
    }
  /* The same composition verdict as `cmdbuilder build --json`. */
  cmdb_page_evaluation_check_composes (evaluation, scratch);
  {
    g_autoptr (JsonNode) node = cmdb_page_evaluation_command_json (evaluation);
    cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
  }
}

/* GET /api/pages/<id>/command.sh */
void
cmdb_server_api_command_sh (CmdbServer *self, SoupServerMessage *msg,
                            const CmdbServerRequest *request)
{
  const char *page_id = request->params[0];
  g_autoptr (CmdbPageEvaluation) evaluation = NULL;
  g_autoptr (GError) error = NULL;
  CmdbPageStore *store;
  const char *text;

  if (!cmdb_server_page_known (self, msg, page_id))
    return;
  store = cmdb_server_get_page_store (self, page_id);
  if ((evaluation = cmdb_server_evaluate_page (self, page_id, store, &error)) == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  text = store->edited != NULL         ? store->edited
         : evaluation->command != NULL ? evaluation->command->pretty
                                       : "";
  cmdb_server_respond (msg, SOUP_STATUS_OK, "text/x-shellscript; charset=utf-8",
                       g_strdup_printf ("#!/bin/sh\n%s\n", text));
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Content-Disposition", "attachment; filename=\"command.sh\"");
}

void
cmdb_server_api_pages_list (CmdbServer *self, SoupServerMessage *msg,
                            const CmdbServerRequest *request)
{
  g_autoptr (GPtrArray) pages = cmdb_host_list_pages (self->host);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; i < pages->len; i++)
    {
      CmdbPluginRecord *record = g_ptr_array_index (pages, i);
      g_autofree char *url = g_strconcat ("/", record->id, NULL);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, record->id);
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, record->title);
      json_builder_set_member_name (builder, "order");
      json_builder_add_int_value (builder, record->order);
      json_builder_set_member_name (builder, "icon");
      if (record->icon != NULL)
        json_builder_add_string_value (builder, record->icon);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "url");
      json_builder_add_string_value (builder, url);
      json_builder_set_member_name (builder, "state");
      json_builder_add_string_value (builder, cmdb_page_state_to_string (record->state));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  node = json_builder_get_root (builder);
  cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
}

/* "/": the last visited page, else the first; nothing is activated here. */

void
cmdb_server_serve_root (CmdbServer *self, SoupServerMessage *msg, const CmdbServerRequest *request)
{
  g_autofree char *last
      = cmdb_server_state_load_last_page (cmdb_context_get_state_dir (self->context));
  g_autoptr (GPtrArray) pages = cmdb_host_list_pages (self->host);
  g_autofree char *location = NULL;

  if (last != NULL && cmdb_server_lookup_page (self, last) != NULL)
    location = g_strconcat ("/", last, NULL);
  else if (pages->len > 0)
    location = g_strconcat ("/", ((CmdbPluginRecord *) g_ptr_array_index (pages, 0))->id, NULL);
  if (location == NULL)
    {
      cmdb_server_respond_html_message (
          msg, SOUP_STATUS_NOT_FOUND, "No pages",
          "No page plugin is enabled. Run `cmdbuilder plugins` to see why.");
      return;
    }
  /* The URL serve printed, opened in a browser: the page at once (its
   * address replaced by the page's own), not a second redirect. */
  if (cmdb_server_auth_token_in_address (msg))
    {
      serve_page (self, msg, location + 1);
      return;
    }
  cmdb_server_redirect (msg, SOUP_STATUS_FOUND, location);
}

/* ---- the handlers of the routing table ---- */

/* GET /<page> */
void
cmdb_server_serve_page (CmdbServer *self, SoupServerMessage *msg, const CmdbServerRequest *request)
{
  if (cmdb_server_lookup_page (self, request->params[0]) == NULL)
    {
      cmdb_server_respond_html_message (msg, SOUP_STATUS_NOT_FOUND, "Not found",
                                        "There is no page at this address.");
      return;
    }
  serve_page (self, msg, request->params[0]);
}

/* POST /<page> */
void
cmdb_server_post_page_form (CmdbServer *self, SoupServerMessage *msg,
                            const CmdbServerRequest *request)
{
  if (cmdb_server_lookup_page (self, request->params[0]) == NULL)
    {
      cmdb_server_respond_html_message (msg, SOUP_STATUS_NOT_FOUND, "Not found",
                                        "There is no page at this address.");
      return;
    }
  post_page_form (self, msg, request->params[0]);
}

/* ?view=html: only the rendered parts, not the form state. */
static gboolean
html_only (const CmdbServerRequest *request)
{
  return g_strcmp0 (request->query != NULL ? g_hash_table_lookup (request->query, "view") : NULL,
                    "html")
         == 0;
}

/* GET /api/pages/<id> */
void
cmdb_server_api_page_get (CmdbServer *self, SoupServerMessage *msg,
                          const CmdbServerRequest *request)
{
  if (cmdb_server_page_known (self, msg, request->params[0]))
    api_page_get (self, msg, request->params[0], html_only (request));
}

/* POST /api/pages/<id> */
void
cmdb_server_api_page_post (CmdbServer *self, SoupServerMessage *msg,
                           const CmdbServerRequest *request)
{
  if (cmdb_server_page_known (self, msg, request->params[0]))
    api_page_post (self, msg, request->params[0], html_only (request));
}

/* POST /api/evaluate/<id> */
void
cmdb_server_api_evaluate (CmdbServer *self, SoupServerMessage *msg,
                          const CmdbServerRequest *request)
{
  if (cmdb_server_page_known (self, msg, request->params[0]))
    api_evaluate (self, msg, request->params[0], FALSE);
}

/* POST /api/build/<id> */
void
cmdb_server_api_build (CmdbServer *self, SoupServerMessage *msg, const CmdbServerRequest *request)
{
  if (cmdb_server_page_known (self, msg, request->params[0]))
    api_evaluate (self, msg, request->params[0], TRUE);
}

/* ---- what the other resources use of pages ---- */

gboolean
cmdb_server_has_page (CmdbServer *self, const char *page_id)
{
  return cmdb_server_lookup_page (self, page_id) != NULL;
}

gboolean
cmdb_server_page_known (CmdbServer *self, SoupServerMessage *msg, const char *page_id)
{
  g_autofree char *message = NULL;

  if (cmdb_server_lookup_page (self, page_id) != NULL)
    return TRUE;
  message = g_strdup_printf ("no page %s", page_id);
  cmdb_server_respond_json_error (msg, SOUP_STATUS_NOT_FOUND, message);
  return FALSE;
}

CmdbPage *
cmdb_server_activate_page (CmdbServer *self, const char *page_id, GError **error)
{
  if (cmdb_server_lookup_page (self, page_id) == NULL)
    {
      g_set_error (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_NOT_FOUND, "no page %s", page_id);
      return NULL;
    }
  return cmdb_host_activate_page (self->host, self->context, page_id, error);
}

char *
cmdb_server_get_defaults_command (CmdbServer *self, const char *page_id)
{
  g_autoptr (CmdbPageEvaluation) evaluation = cmdb_page_evaluation_new ();

  if (!cmdb_page_evaluation_open (self, page_id, evaluation, NULL))
    return NULL;
  evaluation->suffix_default = cmdb_page_session_get_suffix_default (evaluation->session);
  return cmdb_server_defaults_command_display (
      self, page_id, cmdb_page_session_get_schema_path (evaluation->session), evaluation);
}

gboolean
cmdb_server_restore_page_values (CmdbServer *self, const char *page_id, JsonObject *values,
                                 GError **error)
{
  g_autoptr (CmdbPageEvaluation) evaluation = cmdb_page_evaluation_new ();
  g_autoptr (CmdbFormInput) input = NULL;
  CmdbPageStore *store = cmdb_server_get_page_store (self, page_id);

  if (!cmdb_page_evaluation_open (self, page_id, evaluation, error))
    return FALSE;
  input = cmdb_page_session_input_for_values (evaluation->session, values);
  cmdb_server_store_values_from_input (store, input);
  g_clear_pointer (&store->edited, g_free);
  cmdb_server_save_page_store (self, store);
  return TRUE;
}

CmdbCommand *
cmdb_server_build_page_command (CmdbServer *self, const char *page_id, JsonObject **ret_values,
                                char **ret_experiment, GError **error)
{
  g_autoptr (CmdbPageEvaluation) evaluation = NULL;
  CmdbPageStore *store = cmdb_server_get_page_store (self, page_id);

  if ((evaluation = cmdb_server_evaluate_page (self, page_id, store, error)) == NULL)
    return NULL;
  if (evaluation->command == NULL)
    {
      g_set_error_literal (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED,
                           evaluation->command_error);
      return NULL;
    }
  track_generated (store, evaluation);
  *ret_values = json_object_ref (cmdb_form_state_get_values (evaluation->form));
  *ret_experiment = cmdb_page_session_get_experiment_name (evaluation->session, evaluation->form,
                                                           evaluation->suffix);
  return cmdb_command_ref (evaluation->command);
}

CmdbCommand *
cmdb_server_build_page_member_command (CmdbServer *self, const char *page_id, JsonObject *member,
                                       JsonObject **ret_values, char **ret_experiment,
                                       GError **error)
{
  g_autoptr (CmdbPageEvaluation) evaluation = cmdb_page_evaluation_new ();
  CmdbPageStore *store = cmdb_server_get_page_store (self, page_id);
  g_autoptr (CmdbFormInput) input = NULL;
  g_autoptr (GList) keys = json_object_get_members (member);
  g_autoptr (CmdbComposeResult) compose = NULL;
  g_autoptr (GError) check_error = NULL;

  if (!cmdb_page_evaluation_open (self, page_id, evaluation, error))
    return NULL;
  cmdb_page_evaluation_resolve_suffix (store, evaluation);
  input = cmdb_server_input_from_store (store);
  /* Each sweep value as a person types it (like `--set`), judged strictly. */
  for (GList *l = keys; l != NULL; l = l->next)
    {
      g_autofree char *text = cmdb_sweep_value_text (json_object_get_member (member, l->data));

      if (!cmdb_page_session_set_text (evaluation->session, input, l->data, text, error))
        return NULL;
    }
  evaluation->form
      = cmdb_page_session_evaluate (evaluation->session, input, CMDB_PAGE_SESSION_STRICT);
  evaluation->command
      = cmdb_page_session_build (evaluation->session, evaluation->form, evaluation->suffix, error);
  if (evaluation->command == NULL)
    return NULL;
  if (evaluation->command->errors->len == 0)
    {
      compose = cmdb_page_session_compose (evaluation->session, evaluation->command);
      if (compose != NULL && !cmdb_compose_result_get_ok (compose))
        g_ptr_array_add (evaluation->command->errors,
                         g_strdup_printf ("Hydra would not compose this command: %s",
                                          cmdb_compose_result_get_message (compose)));
      else if (!cmdb_command_check_argv (evaluation->command->argv, self->context, &check_error))
        g_ptr_array_add (evaluation->command->errors,
                         g_strdup_printf ("the command would not run: %s", check_error->message));
    }
  *ret_values = json_object_ref (cmdb_form_state_get_values (evaluation->form));
  *ret_experiment = cmdb_page_session_get_experiment_name (evaluation->session, evaluation->form,
                                                           evaluation->suffix);
  return cmdb_command_ref (evaluation->command);
}
