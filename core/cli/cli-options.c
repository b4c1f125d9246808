#define G_LOG_DOMAIN "cmdb-cli"

/* `cmdbuilder options SOURCE`: the choices an option source offers, with
 * their metadata, searchable and paged like the form's selectboxes. */

#include "cli.h"
#include "sources/cmdb-sources-private.h"

#include <stdio.h>
#include <string.h>

/* Metadata members that are long prose or repeat the others: left out of
 * the one-line summary (they are in --json). */
static const char *const summary_skipped[]
    = { "description", "notes", "ui_meta", "help", "label", "modified", NULL };

static void
append_scalar (GString *summary, const char *member, JsonNode *value)
{
  if (JSON_NODE_HOLDS_NULL (value))
    return;
  if (summary->len > 0)
    g_string_append (summary, "  ");
  if (g_str_equal (member, "size") && json_node_get_value_type (value) == G_TYPE_INT64)
    {
      g_autofree char *size = g_format_size ((guint64) json_node_get_int (value));
      g_string_append_printf (summary, "size=%s", size);
    }
  else if (g_str_equal (member, "mtime") && json_node_get_value_type (value) == G_TYPE_INT64)
    {
      g_autoptr (GDateTime) time = g_date_time_new_from_unix_utc (json_node_get_int (value));
      g_autofree char *text
          = time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M:%SZ") : g_strdup ("?");
      g_string_append_printf (summary, "mtime=%s", text);
    }
  else if (json_node_get_value_type (value) == G_TYPE_STRING)
    g_string_append_printf (summary, "%s=%s", member, json_node_get_string (value));
  else if (json_node_get_value_type (value) == G_TYPE_DOUBLE)
    {
      char number[G_ASCII_DTOSTR_BUF_SIZE];
      g_string_append_printf (
          summary, "%s=%s", member,
          g_ascii_formatd (number, sizeof number, "%g", json_node_get_double (value)));
    }
  else if (json_node_get_value_type (value) == G_TYPE_BOOLEAN)
    g_string_append_printf (summary, "%s=%s", member,
                            json_node_get_boolean (value) ? "true" : "false");
  else
    g_string_append_printf (summary, "%s=%" G_GINT64_FORMAT, member, json_node_get_int (value));
}

/* "origin=preset  compatible=dbnet,dbnetpp  epoch=9 ...": scalars as
 * key=value, lists as their length, one level of objects as key.sub=value. */
static char *
entry_summary (CmdbOptionEntry *entry)
{
  GString *summary = g_string_new (NULL);

  if (cmdb_option_entry_get_metadata (entry) != NULL)
    {
      /* get_members keeps insertion order: the summary reads the same
       * every time. */
      g_autoptr (GList) members = json_object_get_members (entry->metadata);

      for (GList *link = members; link != NULL; link = link->next)
        {
          const char *member = link->data;
          JsonNode *value = json_object_get_member (entry->metadata, member);

          if (g_strv_contains (summary_skipped, member))
            continue;
          if (JSON_NODE_HOLDS_VALUE (value) || JSON_NODE_HOLDS_NULL (value))
            append_scalar (summary, member, value);
          else if (JSON_NODE_HOLDS_ARRAY (value))
            {
              if (summary->len > 0)
                g_string_append (summary, "  ");
              g_string_append_printf (summary, "%s=%u", member,
                                      json_array_get_length (json_node_get_array (value)));
            }
          else if (JSON_NODE_HOLDS_OBJECT (value))
            {
              JsonObject *inner = json_node_get_object (value);
              g_autoptr (GList) sub_members = json_object_get_members (inner);

              for (GList *sub = sub_members; sub != NULL; sub = sub->next)
                {
                  JsonNode *sub_value = json_object_get_member (inner, sub->data);

                  if (JSON_NODE_HOLDS_VALUE (sub_value)
                      && !g_strv_contains (summary_skipped, sub->data))
                    {
                      g_autofree char *name = g_strconcat (member, ".", sub->data, NULL);
                      append_scalar (summary, name, sub_value);
                    }
                }
            }
        }
    }
  if (entry->architectures->len > 0)
    {
      if (summary->len > 0)
        g_string_append (summary, "  ");
      g_string_append (summary, "architectures=");
      for (guint i = 0; i < entry->architectures->len; i++)
        g_string_append_printf (summary, "%s%s", i > 0 ? "," : "",
                                (const char *) g_ptr_array_index (entry->architectures, i));
    }
  return g_string_free (summary, FALSE);
}

static JsonNode *
problem_to_json (const CmdbProblem *problem)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (object, "severity",
                                 problem->severity == CMDB_SEVERITY_ERROR ? "error" : "warning");
  if (problem->path != NULL)
    json_object_set_string_member (object, "path", problem->path);
  else
    json_object_set_null_member (object, "path");
  json_object_set_int_member (object, "line", problem->line);
  json_object_set_int_member (object, "column", problem->column);
  if (problem->subject != NULL)
    json_object_set_string_member (object, "subject", problem->subject);
  else
    json_object_set_null_member (object, "subject");
  json_object_set_string_member (object, "message", problem->message);
  json_node_take_object (node, object);
  return node;
}

GPtrArray *
cmdb_cli_list_source_ids (CmdbCliSession *session)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  const char *const *builtin = cmdb_builtin_sources_get_ids ();
  GPtrArray *records = cmdb_host_list_plugins (session->host);

  for (guint i = 0; builtin[i] != NULL; i++)
    g_ptr_array_add (ids, g_strdup (builtin[i]));
  for (guint i = 0; i < records->len; i++)
    {
      CmdbPluginRecord *record = g_ptr_array_index (records, i);

      for (guint j = 0; record->enabled && record->sources != NULL && j < record->sources->len; j++)
        g_ptr_array_add (ids, g_strdup (g_ptr_array_index (record->sources, j)));
    }
  return ids;
}

/* The sources this installation knows: the core's, then each registry's
 * X-Sources in plugin order. */
static void
print_known_sources (CmdbHost *host)
{
  g_autoptr (GString) known = g_string_new (NULL);
  const char *const *builtin = cmdb_builtin_sources_get_ids ();
  GPtrArray *records = cmdb_host_list_plugins (host);

  for (guint i = 0; builtin[i] != NULL; i++)
    g_string_append_printf (known, "  %s (built in)\n", builtin[i]);
  for (guint i = 0; i < records->len; i++)
    {
      CmdbPluginRecord *record = g_ptr_array_index (records, i);

      for (guint j = 0; record->sources != NULL && j < record->sources->len; j++)
        g_string_append_printf (known, "  %s (plugin %s%s)\n",
                                (const char *) g_ptr_array_index (record->sources, j), record->id,
                                record->enabled ? "" : ", disabled");
    }
  fprintf (stderr, "Known option sources:\n%s", known->str);
}

int
cmdb_cli_options (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  gboolean json = FALSE;
  g_autofree char *search = NULL;
  gint offset = 0, limit = 0;
  const GOptionEntry entries[]
      = { { "json", 0, 0, G_OPTION_ARG_NONE, &json,
            "Print {source, total, offset, limit, entries, problems} as JSON", NULL },
          { "search", 's', 0, G_OPTION_ARG_STRING, &search,
            "Only entries whose name contains Q (case-insensitive)", "Q" },
          { "offset", 0, 0, G_OPTION_ARG_INT, &offset, "Skip the first N matching entries", "N" },
          { "limit", 'n', 0, G_OPTION_ARG_INT, &limit, "Print at most N entries (0: all)", "N" },
          { NULL } };
  g_autoptr (GOptionContext) option_context
      = g_option_context_new ("SOURCE - list the choices of an option source");
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (CmdbOptionList) list = NULL;
  g_autoptr (GPtrArray) page = NULL;
  g_autoptr (GError) error = NULL;
  const char *source_id;
  guint total = 0;

  g_option_context_add_main_entries (option_context, entries, NULL);
  g_option_context_set_description (
      option_context, "Sources: models.architectures, models.optimizers, datasets, "
                      "checkpoints,\nsubmissions, preprocessing_profiles (built in) and those of "
                      "the registry plugins\n(models.encoders, models.backbones, "
                      "models.decoders, models.heads,\nmodels.losses). See "
                      "docs/sources.md.");
  cmdb_cli_add_common_options (option_context, &common);
  if (!cmdb_cli_parse (option_context, &argc, &argv))
    return 1;
  if (argc != 2)
    {
      fprintf (stderr, "cmdbuilder options: expected one SOURCE\nRun with --help for the "
                       "options.\n");
      return 1;
    }
  if (offset < 0 || limit < 0)
    {
      fprintf (stderr, "cmdbuilder options: --offset and --limit must not be negative\n");
      return 1;
    }
  source_id = argv[1];
  common.json_output = json;

  session = cmdb_cli_session_open (&common, &error);
  if (session == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }

  list = cmdb_context_get_options (session->context, source_id, &error);
  if (list == NULL)
    {
      if (g_error_matches (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_NOT_FOUND))
        {
          g_autoptr (GPtrArray) ids = cmdb_cli_list_source_ids (session);
          const char *closest = cmdb_cli_closest (source_id, ids);

          if (closest != NULL)
            cmdb_cli_error ("%s; did you mean '%s'?", error->message, closest);
          else
            cmdb_cli_error ("%s", error->message);
          print_known_sources (session->host);
        }
      else
        cmdb_cli_error ("%s", error->message);
      return 1;
    }

  cmdb_cli_print_problems (list->problems);
  page = cmdb_option_list_search (list, search, (guint) offset, (guint) limit, &total);

  if (json)
    {
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      JsonObject *object = json_object_new ();
      JsonArray *entry_array = json_array_sized_new (page->len);
      JsonArray *problem_array = json_array_sized_new (list->problems->len);

      json_object_set_string_member (object, "source", source_id);
      json_object_set_int_member (object, "total", total);
      json_object_set_int_member (object, "offset", offset);
      if (limit > 0)
        json_object_set_int_member (object, "limit", limit);
      else
        json_object_set_null_member (object, "limit");
      for (guint i = 0; i < page->len; i++)
        json_array_add_object_element (
            entry_array,
            cmdb_option_entry_to_json (g_ptr_array_index (page, i), session->context, TRUE));
      json_object_set_array_member (object, "entries", entry_array);
      for (guint i = 0; i < list->problems->len; i++)
        json_array_add_element (problem_array,
                                problem_to_json (g_ptr_array_index (list->problems, i)));
      json_object_set_array_member (object, "problems", problem_array);
      json_node_take_object (node, object);
      cmdb_cli_print_json (node);
      return 0;
    }

  {
    int width = 0;

    for (guint i = 0; i < page->len; i++)
      width = MAX (width, (int) strlen (((CmdbOptionEntry *) g_ptr_array_index (page, i))->name));
    /* Very long names (checkpoint paths) would push every summary far right. */
    width = MIN (width, 64);
    for (guint i = 0; i < page->len; i++)
      {
        CmdbOptionEntry *entry = g_ptr_array_index (page, i);
        g_autofree char *summary = entry_summary (entry);

        /* Names and summaries come from file names and files on disk. */
        if (summary[0] == '\0')
          printf ("%s\n", cmdb_cli_safe (entry->name));
        else
          printf ("%-*s  %s\n", width, cmdb_cli_safe (entry->name), cmdb_cli_safe (summary));
      }
    if (page->len < total)
      fprintf (stderr, "(%u of %u entries, from offset %d)\n", page->len, total, offset);
  }
  return 0;
}
