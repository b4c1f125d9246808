#define G_LOG_DOMAIN "cmdb-server"

/* Files that cross the browser: the download of a file the UI wrote in the
 * outputs folder (Predict's CSV: the server may be another machine, reached
 * through a forwarded port), and the upload of a prediction's JSON made
 * elsewhere.
 *
 * A download serves only regular files inside the outputs folder
 * (cmdb_context_resolve_output: no "..", no absolute path, no symbolic
 * link pointing out), as an attachment. An upload's body is streamed to a
 * file in <state dir>/uploads/ as it arrives, under its own size limit
 * ([server] max-upload, enforced by the connection guard before a byte is
 * read), never held in memory; a request that is not admitted has its
 * body discarded as it comes and is then refused like any other. */

#include "cmdb-server-resource-private.h"
#include "state/cmdb-state-private.h"

#include <gio/gunixoutputstream.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#define UPLOADS_SUBDIR "uploads"
#define UPLOAD_KEY "cmdb-upload"

/* ---- downloads ---- */

/* The name a browser saves the file as: its base name, without quotes or
 * control characters (they would end the header's quoted string). */
static char *
attachment_name (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);

  for (char *p = base; *p != '\0'; p++)
    if (*p == '"' || *p == '\\' || (guchar) *p < 0x20 || (guchar) *p >= 0x7f)
      *p = '_';
  return g_steal_pointer (&base);
}

/* GET /api/outputs?name=<path relative to the outputs folder> */
void
cmdb_server_api_output_download (CmdbServer *self, SoupServerMessage *msg,
                                 const CmdbServerRequest *request)
{
  const char *name = cmdb_server_query_get (request->query, "name");
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *saved_as = NULL;
  g_autofree char *disposition = NULL;
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GBytes) bytes = NULL;
  SoupMessageHeaders *headers;

  if (name == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST,
                                      "name: give the file's path inside the outputs folder");
      return;
    }
  path = cmdb_context_resolve_output (self->context, name, &error);
  if (path == NULL)
    {
      g_autofree char *message = g_strdup_printf ("name: %s", error->message);
      cmdb_server_respond_json_error (msg, SOUP_STATUS_FORBIDDEN, message);
      return;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *message = g_strdup_printf ("no file '%s' in the outputs folder", name);
      cmdb_server_respond_json_error (msg, SOUP_STATUS_NOT_FOUND, message);
      return;
    }
  /* Mapped, not read: a large CSV costs no copy and no wait here. */
  mapped = g_mapped_file_new (path, FALSE, &error);
  if (mapped == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  bytes = g_mapped_file_get_bytes (mapped);
  saved_as = attachment_name (path);
  disposition = g_strdup_printf ("attachment; filename=\"%s\"", saved_as);
  cmdb_server_set_common_headers (msg);
  headers = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "Content-Disposition", disposition);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (
      headers, g_str_has_suffix (path, ".csv") ? "text/csv" : "application/octet-stream", NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), bytes);
}

/* ---- uploads ---- */

/* One upload in progress: the file its body goes to. */
typedef struct
{
  char *directory;    /* <state dir>/uploads */
  char *partial;      /* the file being written; NULL once kept */
  GOutputStream *out; /* (nullable) closed once the body is in */
  guint64 size;       /* bytes written */
  char first;         /* the first byte that is not white space, 0 before */
  GError *error;      /* (nullable) the first write error */
} Upload;

static void
upload_free (Upload *upload)
{
  if (upload->out != NULL)
    g_output_stream_close (upload->out, NULL, NULL);
  g_clear_object (&upload->out);
  /* Never kept (refused, failed, or the client went away): nothing stays. */
  if (upload->partial != NULL)
    g_unlink (upload->partial);
  g_free (upload->partial);
  g_free (upload->directory);
  g_clear_error (&upload->error);
  g_free (upload);
}

static void
on_upload_chunk (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  Upload *upload = user_data;
  gsize length = 0;
  const char *data = g_bytes_get_data (chunk, &length);

  if (upload->error != NULL)
    return;
  for (gsize i = 0; upload->first == 0 && i < length; i++)
    if (!g_ascii_isspace (data[i]))
      upload->first = data[i];
  /* A local file: each write is a copy into the page cache. */
  if (!g_output_stream_write_all (upload->out, data, length, NULL, NULL, &upload->error))
    return;
  upload->size += length;
}

/* The body of an admitted POST /api/uploads goes to a file as it arrives;
 * any other request to it has its body dropped as it comes (answered by
 * the route afterwards, refused). */
static void
on_upload_headers (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
                   gpointer user_data)
{
  CmdbServer *self = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GError) error = NULL;
  Upload *upload;
  int fd;

  /* libsoup calls only this path's early handler: the guard's limits first. */
  if (self->guard != NULL)
    cmdb_connection_guard_got_headers (self->guard, msg, path);
  if (!g_str_equal (path, CMDB_SERVER_UPLOAD_PATH))
    return;
  soup_message_body_set_accumulate (body, FALSE);
  if (!g_str_equal (soup_server_message_get_method (msg), "POST")
      || !cmdb_server_auth_would_admit (self, msg))
    return;
  upload = g_new0 (Upload, 1);
  g_object_set_data_full (G_OBJECT (msg), UPLOAD_KEY, upload, (GDestroyNotify) upload_free);
  upload->directory = cmdb_state_dir_ensure (cmdb_context_get_state_dir (self->context),
                                             UPLOADS_SUBDIR, 0700, &error);
  if (upload->directory == NULL)
    {
      upload->error = g_steal_pointer (&error);
      return;
    }
  upload->partial = g_build_filename (upload->directory, ".partial-XXXXXX", NULL);
  fd = g_mkstemp_full (upload->partial, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (&upload->error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot create a file in %s: %s", upload->directory, g_strerror (saved));
      g_clear_pointer (&upload->partial, g_free);
      return;
    }
  upload->out = g_unix_output_stream_new (fd, TRUE);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_upload_chunk), upload);
}

void
cmdb_server_files_watch_uploads (CmdbServer *self, SoupServerCallback handler)
{
  /* A path's handler has both callbacks: the early one and @handler,
   * which admits and routes like every other request. */
  soup_server_add_early_handler (self->soup, CMDB_SERVER_UPLOAD_PATH, on_upload_headers, self,
                                 NULL);
  soup_server_add_handler (self->soup, CMDB_SERVER_UPLOAD_PATH, handler, self, NULL);
}

/* The name the upload is kept under: the client's file name (letters,
 * digits, ".", "-", "_"; others become "_"), ending in .json, after the
 * time it came, so uploads never replace each other. */
static char *
kept_name (const char *given)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *base = g_path_get_basename (given != NULL ? given : "upload.json");

  for (char *p = base; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      *p = '_';
  if (base[0] == '.' || base[0] == '\0')
    {
      g_free (base);
      base = g_strdup ("upload.json");
    }
  return g_strdup_printf ("%s-%s%s", stamp, base, g_str_has_suffix (base, ".json") ? "" : ".json");
}

/* POST /api/uploads?name=<file name>: the body is the file. */
void
cmdb_server_api_upload (CmdbServer *self, SoupServerMessage *msg, const CmdbServerRequest *request)
{
  Upload *upload = g_object_get_data (G_OBJECT (msg), UPLOAD_KEY);
  g_autofree char *name = NULL;
  g_autofree char *kept = NULL;
  g_autoptr (JsonObject) answer = NULL;
  g_autoptr (GError) error = NULL;

  if (upload == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                      "the upload was not received");
      return;
    }
  if (upload->error == NULL && !g_output_stream_close (upload->out, NULL, &error))
    upload->error = g_steal_pointer (&error);
  g_clear_object (&upload->out);
  if (upload->error != NULL)
    {
      g_autofree char *message
          = g_strdup_printf ("the upload could not be stored: %s", upload->error->message);
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INSUFFICIENT_STORAGE, message);
      return;
    }
  if (upload->size == 0 || upload->first != '{')
    {
      cmdb_server_respond_json_error (
          msg, SOUP_STATUS_BAD_REQUEST,
          upload->size == 0 ? "the upload is empty: send the JSON file as the request body"
                            : "the upload is not a prediction's JSON (it must start with {)");
      return;
    }
  name = kept_name (cmdb_server_query_get (request->query, "name"));
  kept = g_build_filename (upload->directory, name, NULL);
  for (guint i = 1; g_file_test (kept, G_FILE_TEST_EXISTS); i++)
    {
      g_free (kept);
      kept = g_strdup_printf ("%s/%u-%s", upload->directory, i, name);
    }
  if (g_rename (upload->partial, kept) != 0)
    {
      int saved = errno;
      g_autofree char *message
          = g_strdup_printf ("the upload could not be stored as %s: %s", kept, g_strerror (saved));
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, message);
      return;
    }
  g_clear_pointer (&upload->partial, g_free);
  answer = json_object_new ();
  json_object_set_string_member (answer, "path", kept);
  json_object_set_string_member (answer, "name", strrchr (kept, G_DIR_SEPARATOR) + 1);
  json_object_set_int_member (answer, "size", (gint64) upload->size);
  {
    g_autoptr (JsonNode) node = cmdb_server_object_node (g_steal_pointer (&answer));
    cmdb_server_respond_json (msg, SOUP_STATUS_CREATED, node);
  }
}
