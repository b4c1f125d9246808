#define G_LOG_DOMAIN "cmdb-state"

#include "cmdb-state-private.h"
#include "base/cmdb-json-private.h"

#include <string.h>

/* The first argument is stringified into the quark name: no formatter may space its dashes. */
/* clang-format off */
G_DEFINE_QUARK (cmdb-state-error-quark, cmdb_state_error)
/* clang-format on */

/* Upgrades an object of version N to version N + 1, in place. */
typedef void (*MigrateStep) (JsonObject *object);

typedef struct
{
  const char *name;
  guint version;            /* what this build writes */
  const MigrateStep *steps; /* steps[N - 1] upgrades version N */
  int mode;                 /* file mode of a new file */
  gboolean durable;         /* fsync before the rename */
  /* Written without indentation: page state holds values a client sent,
   * and indentation grows with their nesting (a pretty-printed 8 KB value
   * once took 32 MB on disk). The others stay readable by eye. */
  gboolean compact;
} StateFormat;

/* run.json 1 -> 2: "workspace", the root the run was created in. Format 1
 * ran every command in the workspace root, so its "cwd" is that root. */
static void
run_record_1_to_2 (JsonObject *object)
{
  JsonNode *cwd = json_object_get_member (object, "cwd");

  if (cwd != NULL && JSON_NODE_HOLDS_VALUE (cwd) && json_node_get_value_type (cwd) == G_TYPE_STRING)
    json_object_set_string_member (object, "workspace", json_node_get_string (cwd));
  else
    json_object_set_null_member (object, "workspace");
}

/* ui/pages/<id>.json 1 -> 2: "workspace", the root its command texts were
 * generated in. Format 1 did not say: unknown (null), so an edited command
 * of format 1 keeps its paths as they are. */
static void
page_state_1_to_2 (JsonObject *object)
{
  if (!json_object_has_member (object, "workspace"))
    json_object_set_null_member (object, "workspace");
}

static const MigrateStep run_record_steps[] = { run_record_1_to_2 };
static const MigrateStep page_state_steps[] = { page_state_1_to_2 };

static const StateFormat formats[] = {
  [CMDB_STATE_RUN_RECORD] = { "run record", 2, run_record_steps, 0644, TRUE, FALSE },
  [CMDB_STATE_PAGE_STATE] = { "page state", 2, page_state_steps, 0600, FALSE, TRUE },
  [CMDB_STATE_SERVER_STATE] = { "server state", 1, NULL, 0600, FALSE, FALSE },
  [CMDB_STATE_SWEEP_RECORD] = { "sweep record", 1, NULL, 0644, TRUE, FALSE },
};

static const StateFormat *
lookup_format (CmdbStateKind kind)
{
  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (formats), &formats[0]);
  return &formats[kind];
}

guint
cmdb_state_format_version (CmdbStateKind kind)
{
  return lookup_format (kind)->version;
}

const char *
cmdb_state_format_name (CmdbStateKind kind)
{
  return lookup_format (kind)->name;
}

/* The version @object declares: 1 when it has none (files of the
 * 2026-12-01 release, except run records, carried none); 0 when the member
 * is not a positive integer. */
static guint
declared_version (JsonObject *object)
{
  JsonNode *node = json_object_get_member (object, "version");
  gint64 version;

  if (node == NULL)
    return 1;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;
  version = json_node_get_int (node);
  return version >= 1 && version <= G_MAXUINT ? (guint) version : 0;
}

/* (transfer full) (nullable): @path parsed as a JSON object, without any
 * version check. */
static JsonObject *
read_object (const StateFormat *format, const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (JsonNode) root = NULL;

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, CMDB_STATE_ERROR,
                   g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                       ? CMDB_STATE_ERROR_NOT_FOUND
                       : CMDB_STATE_ERROR_UNREADABLE,
                   "%s", local_error->message);
      return NULL;
    }
  /* Depth-checked first: json-glib recurses once per level. */
  root = cmdb_json_parse (contents, (gssize) length, &local_error);
  if (root == NULL)
    {
      g_set_error (error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_UNREADABLE,
                   "%s: not a readable %s: %s", path, format->name, local_error->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_UNREADABLE,
                   "%s: not a readable %s: expected a JSON object", path, format->name);
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

/* Sets @error when @object's version is not one this build reads. */
static gboolean
check_version (const StateFormat *format, const char *path, JsonObject *object, guint *ret_version,
               GError **error)
{
  guint version = declared_version (object);

  if (version == 0)
    {
      g_set_error (error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_UNREADABLE,
                   "%s: not a readable %s: \"version\" is not a positive integer", path,
                   format->name);
      return FALSE;
    }
  if (version > format->version)
    {
      g_set_error (error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_NEWER,
                   "%s: %s of format version %u, newer than this cmdbuilder reads (up to %u); "
                   "left untouched (a newer cmdbuilder wrote it: use that one, or move the "
                   "file away)",
                   path, format->name, version, format->version);
      return FALSE;
    }
  *ret_version = version;
  return TRUE;
}

JsonObject *
cmdb_state_file_load (CmdbStateKind kind, const char *path, guint *ret_version, GError **error)
{
  const StateFormat *format = lookup_format (kind);
  g_autoptr (JsonObject) object = NULL;
  guint version = 0;

  g_return_val_if_fail (path != NULL, NULL);
  object = read_object (format, path, error);
  if (object == NULL || !check_version (format, path, object, &version, error))
    return NULL;
  for (guint from = version; from < format->version; from++)
    format->steps[from - 1](object);
  if (version < format->version)
    json_object_set_int_member (object, "version", format->version);
  if (ret_version != NULL)
    *ret_version = version;
  return g_steal_pointer (&object);
}

gboolean
cmdb_state_file_save (CmdbStateKind kind, const char *path, JsonObject *object, GError **error)
{
  const StateFormat *format = lookup_format (kind);
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *text = NULL;
  g_autofree char *with_newline = NULL;
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (path != NULL && object != NULL, FALSE);
  /* A newer build's file is never replaced by this one's view of it. */
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autoptr (JsonObject) existing = read_object (format, path, NULL);
      guint version = 0;

      if (existing != NULL && !check_version (format, path, existing, &version, &local_error)
          && g_error_matches (local_error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_NEWER))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  json_object_set_int_member (object, "version", format->version);
  node = json_node_init_object (json_node_alloc (), object);
  text = json_to_string (node, !format->compact);
  with_newline = g_strconcat (text, "\n", NULL);
  /* CONSISTENT: a temporary file renamed over @path, so a reader (another
   * process) sees the old file or the new one, never a torn one; DURABLE
   * also fsyncs it first, for records that must survive a crash. */
  return g_file_set_contents_full (path, with_newline, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT
                                       | (format->durable ? G_FILE_SET_CONTENTS_DURABLE : 0),
                                   format->mode, error);
}

G_LOCK_DEFINE_STATIC (reported);
static GHashTable *reported; /* messages already reported */
static CmdbStateReporter reporter;

void
cmdb_state_report (const GError *error)
{
  gboolean first;

  g_return_if_fail (error != NULL);
  G_LOCK (reported);
  if (reported == NULL)
    reported = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  first = g_hash_table_add (reported, g_strdup (error->message));
  G_UNLOCK (reported);
  if (!first)
    return;
  if (reporter != NULL)
    reporter (error->message);
  else
    g_warning ("%s", error->message);
}

void
cmdb_state_set_reporter (CmdbStateReporter new_reporter)
{
  reporter = new_reporter;
}
