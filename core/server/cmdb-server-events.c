#define G_LOG_DOMAIN "cmdb-server"

/* Events: one Server-Sent Events stream per tab on /api/events that
 * multiplexes the output and status of the runs the tab watches, and the
 * runs list of its page.
 *
 * Event streams read the logs from disk with CmdbLogReader at the offset
 * the client reached, so a reconnect loses no byte, and every buffer has a
 * hard cap: one read buffer for the whole server, one partial line per
 * watched stream, and a bound on what may wait unsent on one connection. */

#include "cmdb-server-resource-private.h"

#include <string.h>

/* How often open event streams look for new output and status changes. */
#define POLL_INTERVAL_MS 100
/* Every tenth poll: the runs lists, which read every run's record. */
#define LIST_EVERY_POLLS 10
/* A comment line keeps idle connections from being closed by proxies. */
#define KEEPALIVE_US (15 * G_USEC_PER_SEC)
/* One read; lines made from it go out in one event. */
#define READ_CHUNK_BYTES (16 * 1024)
/* Reads per stream and poll: bounds the work one poll does for one run. */
#define READS_PER_POLL 16
/* Bytes appended to a connection but not yet written: beyond this, a
 * stream reads no more until the client caught up (a slow client costs
 * memory only up to here). */
#define MAX_PENDING_BYTES (1024 * 1024)
/* Longer lines are split (CmdbLogView). */
#define MAX_LINE_BYTES (8 * 1024)
#define MAX_WATCHED_RUNS 16
#define MAX_EVENT_STREAMS 64
/* The runs list an event stream sends: the newest, as GET /api/runs. */
#define LIST_DEFAULT_LIMIT 50

typedef struct
{
  CmdbRunStream which;
  CmdbLogReader *reader; /* at the next byte to read */
  CmdbLogView *view;
  guint64 resume;    /* where a reconnect starts: after the last line end */
  gboolean after_cr; /* the last byte read was '\r' */
  gboolean drained;  /* read to the final size of an ended run */
} Follower;

typedef struct
{
  char *id;
  CmdbRun *run; /* (nullable) the record as last read */
  char *status; /* the status last sent */
  Follower streams[2];
  gboolean ended; /* "end" was sent */
} Watch;

typedef struct
{
  CmdbServerEvents *owner;
  SoupServerMessage *msg;
  GPtrArray *watches; /* (element-type Watch) */
  char *list_page;    /* (nullable) runs list events: a page id or "*" */
  char *list_status;  /* (nullable) */
  char *list_signature;
  guint64 list_stamp; /* cmdb_run_store_changed_since() at the last listing */
  guint64 pending;
  gint64 last_send;
  gulong wrote_handler;
  gulong finished_handler;
} EventStream;

struct _CmdbServerEvents
{
  CmdbServer *server; /* (transfer none): it owns us */
  GPtrArray *streams; /* (element-type EventStream) */
  guint poll_source;
  guint polls;
  guint8 *buffer; /* READ_CHUNK_BYTES, shared by every stream */
};
/* ---- event streams ---- */

static void
follower_init (Follower *follower, CmdbRun *run, CmdbRunStream which, guint64 offset)
{
  follower->which = which;
  follower->reader = cmdb_log_reader_new (run, which, offset);
  follower->view = cmdb_log_view_new (MAX_LINE_BYTES);
  follower->resume = offset;
}

static void
follower_clear (Follower *follower)
{
  g_clear_pointer (&follower->reader, cmdb_log_reader_free);
  g_clear_pointer (&follower->view, cmdb_log_view_free);
}

static void
watch_free (Watch *watch)
{
  g_free (watch->id);
  g_clear_pointer (&watch->run, cmdb_run_unref);
  g_free (watch->status);
  follower_clear (&watch->streams[0]);
  follower_clear (&watch->streams[1]);
  g_free (watch);
}

static void
event_stream_free (EventStream *stream)
{
  if (stream->msg != NULL)
    {
      g_signal_handler_disconnect (stream->msg, stream->wrote_handler);
      g_signal_handler_disconnect (stream->msg, stream->finished_handler);
      g_clear_object (&stream->msg);
    }
  g_ptr_array_unref (stream->watches);
  g_free (stream->list_page);
  g_free (stream->list_status);
  g_free (stream->list_signature);
  g_free (stream);
}

static void
send_text (EventStream *stream, const char *text, gsize length)
{
  soup_message_body_append (soup_server_message_get_response_body (stream->msg), SOUP_MEMORY_COPY,
                            text, length);
  stream->pending += length;
  stream->last_send = g_get_monotonic_time ();
  soup_server_message_unpause (stream->msg);
}

/* One event; @data is one line of JSON. @id (nullable) is the resume
 * token the browser sends back as Last-Event-ID. */
static void
send_event (EventStream *stream, const char *event, JsonNode *data, const char *id)
{
  g_autofree char *json = json_to_string (data, FALSE);
  GString *text = g_string_new (NULL);

  if (id != NULL)
    g_string_append_printf (text, "id: %s\n", id);
  g_string_append_printf (text, "event: %s\ndata: %s\n\n", event, json);
  send_text (stream, text->str, text->len);
  g_string_free (text, TRUE);
}

/* "RUN:OUT:ERR,RUN:OUT:ERR": every watched stream's resume offset. */
static char *
resume_token (EventStream *stream)
{
  GString *token = g_string_new (NULL);

  for (guint i = 0; i < stream->watches->len; i++)
    {
      Watch *watch = g_ptr_array_index (stream->watches, i);

      g_string_append_printf (token, "%s%s:%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT,
                              i > 0 ? "," : "", watch->id, watch->streams[0].resume,
                              watch->streams[1].resume);
    }
  return g_string_free (token, FALSE);
}

static JsonObject *
line_object (const char *text)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "text", text);
  json_object_set_string_member (object, "class",
                                 cmdb_shell_line_class_to_string (cmdb_shell_classify_line (text)));
  return object;
}

/* Where a reconnect may start: after a line end, or after a bare '\r'
 * (the view throws the line away there, so nothing before it matters). */
static void
advance_resume (Follower *follower, const guint8 *data, gsize length, guint64 base)
{
  for (gsize i = 0; i < length; i++)
    {
      if (follower->after_cr)
        {
          follower->after_cr = FALSE;
          if (data[i] != '\n')
            follower->resume = base + i;
        }
      if (data[i] == '\n')
        follower->resume = base + i + 1;
      else if (data[i] == '\r')
        follower->after_cr = TRUE;
    }
}

static void
send_output (EventStream *stream, Watch *watch, Follower *follower, GPtrArray *lines)
{
  JsonObject *object = json_object_new ();
  JsonArray *array = json_array_new ();
  g_autofree char *partial = cmdb_log_view_peek_partial (follower->view);
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *id = NULL;

  for (guint i = 0; i < lines->len; i++)
    json_array_add_object_element (array, line_object (g_ptr_array_index (lines, i)));
  json_object_set_string_member (object, "run", watch->id);
  json_object_set_string_member (object, "stream", cmdb_run_stream_to_string (follower->which));
  json_object_set_int_member (object, "offset", (gint64) follower->resume);
  json_object_set_int_member (object, "read",
                              (gint64) cmdb_log_reader_get_offset (follower->reader));
  json_object_set_array_member (object, "lines", array);
  if (partial != NULL)
    json_object_set_object_member (object, "partial", line_object (partial));
  else
    json_object_set_null_member (object, "partial");
  node = cmdb_server_object_node (object);
  id = resume_token (stream);
  send_event (stream, "output", node, id);
}

/* Reads what is new in one stream of a run (an I/O error is logged and
 * retried at the next poll); once the run is final and the log read to its
 * final size, the partial line is sent as a line. */
static void
poll_follower (CmdbServerEvents *self, EventStream *stream, Watch *watch, Follower *follower)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  gboolean at_end = FALSE; /* a read found nothing more, this poll */
  guint64 final_size = 0;
  gboolean ended;

  for (guint i = 0; i < READS_PER_POLL && stream->pending < MAX_PENDING_BYTES; i++)
    {
      g_autoptr (GError) error = NULL;
      guint64 base = cmdb_log_reader_get_offset (follower->reader);
      gssize n = cmdb_log_reader_read (follower->reader, self->buffer, READ_CHUNK_BYTES, &error);

      if (n < 0)
        {
          g_warning ("run %s: %s", watch->id, error->message);
          break;
        }
      if (n == 0)
        {
          at_end = TRUE;
          break;
        }
      cmdb_log_view_feed (follower->view, (const char *) self->buffer, (gsize) n, lines);
      advance_resume (follower, self->buffer, (gsize) n, base);
      /* One event per chunk keeps every event (and the lines array)
       * bounded by the chunk size. */
      send_output (stream, watch, follower, lines);
      g_ptr_array_set_size (lines, 0);
    }
  ended = watch->run != NULL && cmdb_run_status_is_final (cmdb_run_get_status (watch->run));
  if (at_end && ended && !follower->drained)
    {
      /* A lost run has no final sizes: what is on disk is all there is. */
      if (!cmdb_run_get_final_log_size (watch->run, follower->which, &final_size)
          || cmdb_log_reader_get_offset (follower->reader) >= final_size)
        {
          follower->drained = TRUE;
          cmdb_log_view_finish (follower->view, lines);
          if (lines->len > 0)
            {
              follower->resume = cmdb_log_reader_get_offset (follower->reader);
              send_output (stream, watch, follower, lines);
            }
        }
    }
}

static void
poll_watch (CmdbServerEvents *self, EventStream *stream, Watch *watch)
{
  g_autoptr (GError) error = NULL;
  CmdbRun *run;
  const char *status;

  if (watch->ended)
    return;
  /* The record first: output read after a final status is complete. */
  run = cmdb_run_store_load (self->server->run_store, watch->id, &error);
  if (run == NULL)
    {
      JsonObject *object = json_object_new ();
      g_autoptr (JsonNode) node = NULL;

      json_object_set_string_member (object, "run", watch->id);
      json_object_set_string_member (object, "error", error->message);
      node = cmdb_server_object_node (object);
      send_event (stream, "gone", node, NULL);
      watch->ended = TRUE;
      return;
    }
  g_clear_pointer (&watch->run, cmdb_run_unref);
  watch->run = run;
  if (watch->streams[0].reader == NULL)
    {
      follower_init (&watch->streams[0], run, CMDB_RUN_STREAM_STDOUT, watch->streams[0].resume);
      follower_init (&watch->streams[1], run, CMDB_RUN_STREAM_STDERR, watch->streams[1].resume);
    }
  status = cmdb_run_status_to_string (cmdb_run_get_status (run));
  if (g_strcmp0 (status, watch->status) != 0)
    {
      g_autoptr (JsonNode) node = cmdb_run_to_json (run);

      g_free (watch->status);
      watch->status = g_strdup (status);
      send_event (stream, "status", node, NULL);
    }
  poll_follower (self, stream, watch, &watch->streams[0]);
  poll_follower (self, stream, watch, &watch->streams[1]);
  if (watch->streams[0].drained && watch->streams[1].drained)
    {
      g_autoptr (JsonNode) node = cmdb_run_to_json (run);
      g_autofree char *id = resume_token (stream);

      watch->ended = TRUE;
      send_event (stream, "end", node, id);
      follower_clear (&watch->streams[0]);
      follower_clear (&watch->streams[1]);
    }
}

static void
poll_list (CmdbServerEvents *self, EventStream *stream)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) runs = NULL;
  GString *signature = g_string_new (NULL);
  guint total = 0;
  const char *page = g_strcmp0 (stream->list_page, "*") == 0 ? NULL : stream->list_page;

  /* Nothing changed in the run history: the list sent stands. */
  if (!cmdb_run_store_changed_since (self->server->run_store, &stream->list_stamp))
    {
      g_string_free (signature, TRUE);
      return;
    }
  runs = cmdb_server_list_runs (self->server, page, stream->list_status, LIST_DEFAULT_LIMIT, &total,
                                &error);
  if (runs == NULL)
    {
      g_string_free (signature, TRUE);
      return;
    }
  for (guint i = 0; i < json_array_get_length (runs); i++)
    {
      JsonObject *run = json_array_get_object_element (runs, i);
      g_string_append_printf (signature, "%s:%s;", json_object_get_string_member (run, "id"),
                              json_object_get_string_member (run, "status"));
    }
  if (g_strcmp0 (signature->str, stream->list_signature) != 0)
    {
      JsonObject *object = json_object_new ();
      g_autoptr (JsonNode) node = NULL;

      json_object_set_int_member (object, "total", total);
      {
        g_autofree char *html = cmdb_html_render_run_list (runs, page == NULL);
        json_object_set_string_member (object, "html", html);
      }
      json_object_set_array_member (object, "runs", json_array_ref (runs));
      node = cmdb_server_object_node (object);
      send_event (stream, "runs", node, NULL);
      g_free (stream->list_signature);
      stream->list_signature = g_string_free (signature, FALSE);
      return;
    }
  g_string_free (signature, TRUE);
}

static void
poll_stream (CmdbServerEvents *self, EventStream *stream, gboolean lists)
{
  for (guint i = 0; i < stream->watches->len; i++)
    poll_watch (self, stream, g_ptr_array_index (stream->watches, i));
  if (lists && stream->list_page != NULL)
    poll_list (self, stream);
  if (g_get_monotonic_time () - stream->last_send > KEEPALIVE_US)
    send_text (stream, ": keepalive\n\n", strlen (": keepalive\n\n"));
}

static gboolean
on_poll (gpointer user_data)
{
  CmdbServerEvents *self = user_data;
  gboolean lists = ++self->polls % LIST_EVERY_POLLS == 0;

  /* Like a request: files changed since are seen (run records in listings
   * come through the cache). */
  cmdb_cache_new_generation (cmdb_context_get_cache (self->server->context));

  for (guint i = 0; i < self->streams->len; i++)
    poll_stream (self, g_ptr_array_index (self->streams, i), lists);
  if (self->streams->len == 0)
    {
      self->poll_source = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
on_wrote_body_data (SoupServerMessage *msg, guint chunk_size, gpointer user_data)
{
  EventStream *stream = user_data;

  stream->pending = stream->pending > chunk_size ? stream->pending - chunk_size : 0;
}

static void
on_finished (SoupServerMessage *msg, gpointer user_data)
{
  EventStream *stream = user_data;

  /* The client went away (or the server is closing): forget the stream. */
  g_ptr_array_remove (stream->owner->streams, stream);
}

/* Parses "RUN[:OUT:ERR],..." into @stream's watches (a run already
 * watched gets the offsets). FALSE for a malformed list. */
static gboolean
parse_watch_list (EventStream *stream, const char *text, GError **error)
{
  g_auto (GStrv) items = g_strsplit (text, ",", -1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      g_auto (GStrv) fields = NULL;
      Watch *watch = NULL;
      guint64 out = 0, err = 0;

      if (items[i][0] == '\0')
        continue;
      fields = g_strsplit (items[i], ":", -1);
      if (!cmdb_server_is_valid_run_id (fields[0])
          || (g_strv_length (fields) != 1 && g_strv_length (fields) != 3)
          || (fields[1] != NULL
              && (!g_ascii_string_to_unsigned (fields[1], 10, 0, G_MAXUINT64, &out, NULL)
                  || !g_ascii_string_to_unsigned (fields[2], 10, 0, G_MAXUINT64, &err, NULL))))
        {
          g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED,
                       "'%s' is not RUN or RUN:STDOUT_OFFSET:STDERR_OFFSET", items[i]);
          return FALSE;
        }
      for (guint j = 0; j < stream->watches->len && watch == NULL; j++)
        if (g_str_equal (((Watch *) g_ptr_array_index (stream->watches, j))->id, fields[0]))
          watch = g_ptr_array_index (stream->watches, j);
      if (watch == NULL)
        {
          if (stream->watches->len >= MAX_WATCHED_RUNS)
            {
              g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED,
                           "at most %d runs per event stream", MAX_WATCHED_RUNS);
              return FALSE;
            }
          watch = g_new0 (Watch, 1);
          watch->id = g_strdup (fields[0]);
          g_ptr_array_add (stream->watches, watch);
        }
      if (fields[1] != NULL)
        {
          watch->streams[0].resume = out;
          watch->streams[1].resume = err;
        }
    }
  return TRUE;
}

/* GET /api/events?runs=RUN[:OUT:ERR],...&list=PAGE|*&status=S
 * Last-Event-ID (sent by a reconnecting EventSource) wins over the offsets
 * in the address: it is where the client really got to. */
void
cmdb_server_api_events (CmdbServer *server, SoupServerMessage *msg,
                        const CmdbServerRequest *request)
{
  CmdbServerEvents *self = server->events;
  GHashTable *query = request->query;
  g_autoptr (GError) error = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *runs = cmdb_server_query_get (query, "runs");
  const char *last_event_id = soup_message_headers_get_one (
      soup_server_message_get_request_headers (msg), "Last-Event-ID");
  const char *list_status = cmdb_server_query_get (query, "status");
  EventStream *stream;
  CmdbRunStatus ignored;

  if (self->streams->len >= MAX_EVENT_STREAMS)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                                      "too many event streams are open");
      return;
    }
  if (list_status != NULL && !cmdb_run_status_from_string (list_status, &ignored))
    {
      g_autofree char *message = g_strdup_printf ("no run status %s", list_status);
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, message);
      return;
    }
  stream = g_new0 (EventStream, 1);
  stream->owner = self;
  stream->watches = g_ptr_array_new_with_free_func ((GDestroyNotify) watch_free);
  if ((runs != NULL && !parse_watch_list (stream, runs, &error))
      || (last_event_id != NULL && last_event_id[0] != '\0'
          && !parse_watch_list (stream, last_event_id, &error)))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      event_stream_free (stream);
      return;
    }
  stream->list_page = g_strdup (cmdb_server_query_get (query, "list"));
  stream->list_status = g_strdup (list_status);
  stream->msg = g_object_ref (msg);

  cmdb_server_set_common_headers (msg);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
  stream->wrote_handler
      = g_signal_connect (msg, "wrote-body-data", G_CALLBACK (on_wrote_body_data), stream);
  stream->finished_handler = g_signal_connect (msg, "finished", G_CALLBACK (on_finished), stream);
  g_ptr_array_add (self->streams, stream);

  /* The client reconnects after a second if the connection drops. */
  send_text (stream, "retry: 1000\n\n", strlen ("retry: 1000\n\n"));
  poll_stream (self, stream, TRUE);
  if (self->poll_source == 0)
    self->poll_source = g_timeout_add (POLL_INTERVAL_MS, on_poll, self);
}

/* ---- life cycle ---- */

CmdbServerEvents *
cmdb_server_events_new (CmdbServer *server)
{
  CmdbServerEvents *self = g_new0 (CmdbServerEvents, 1);

  self->server = server;
  self->streams = g_ptr_array_new_with_free_func ((GDestroyNotify) event_stream_free);
  self->buffer = g_malloc (READ_CHUNK_BYTES);
  return self;
}

void
cmdb_server_events_free (CmdbServerEvents *self)
{
  if (self == NULL)
    return;
  if (self->poll_source != 0)
    g_source_remove (self->poll_source);
  g_ptr_array_unref (self->streams);
  g_free (self->buffer);
  g_free (self);
}
