#define G_LOG_DOMAIN "cmdb-server"

/* The HTML of a sweep's comparison page (docs/web-ui.md, "Sweeps"): its
 * state, and one row per member with the values that vary, status, exit,
 * duration and metrics, sorted by any column, the best row marked. Made
 * from the comparison the API answers (cmdb_sweep_report), so the page and
 * GET /api/sweeps/{id} never disagree. Sorting is done here, by a link per
 * column header, so the page works without JavaScript; sweeps.js only
 * fetches the same links in place. */

#include "cmdb-server-private.h"

#include <string.h>

static void
append_text (GString *out, const char *markup, const char *text)
{
  g_string_append (out, markup);
  cmdb_html_append_escaped (out, text != NULL ? text : "");
}

static const char *
get_string (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
get_object (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
get_array (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* TRUE with @ret_value when @node is a number. */
static gboolean
node_number (JsonNode *node, double *ret_value)
{
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    *ret_value = (double) json_node_get_int (node);
  else if (type == G_TYPE_DOUBLE)
    *ret_value = json_node_get_double (node);
  else
    return FALSE;
  return TRUE;
}

/* A value as the form shows it: strings as they are, numbers in the fewest
 * digits that read back the same, lists and objects as JSON. */
static char *
value_text (JsonNode *node)
{
  double number;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("");
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    return g_strdup (json_node_get_boolean (node) ? "true" : "false");
  if (node_number (node, &number))
    {
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];

      for (int digits = 1; digits <= 17; digits++)
        {
          char format[8];

          g_snprintf (format, sizeof format, "%%.%dg", digits);
          g_ascii_formatd (buffer, sizeof buffer, format, number);
          if (g_ascii_strtod (buffer, NULL) == number)
            break;
        }
      return g_strdup (buffer);
    }
  return json_to_string (node, FALSE);
}

/* ---- sorting ---- */

/* What a column holds for one member: a number, a text, or nothing (sorted
 * last whichever the order). */
typedef struct
{
  guint row;
  gboolean has_number;
  double number;
  const char *text; /* (nullable) */
} SortCell;

static JsonNode *
column_node (JsonObject *member, const char *column)
{
  if (g_str_equal (column, "index"))
    return json_object_get_member (member, "index");
  if (g_str_equal (column, "status"))
    return json_object_get_member (member, "status");
  if (g_str_equal (column, "exit"))
    return json_object_get_member (member, "exit_code");
  if (g_str_equal (column, "duration"))
    return json_object_get_member (member, "duration_s");
  if (g_str_has_prefix (column, "key:"))
    {
      JsonObject *values = get_object (member, "values");

      return values != NULL ? json_object_get_member (values, column + 4) : NULL;
    }
  if (g_str_has_prefix (column, "metric:"))
    {
      JsonObject *metrics = get_object (member, "metrics");

      return metrics != NULL ? json_object_get_member (metrics, column + 7) : NULL;
    }
  return NULL;
}

static gboolean sort_descending;

static int
compare_cells (gconstpointer a, gconstpointer b)
{
  const SortCell *x = a;
  const SortCell *y = b;
  gboolean x_empty = !x->has_number && x->text == NULL;
  gboolean y_empty = !y->has_number && y->text == NULL;
  int order = 0;

  if (x_empty || y_empty)
    return x_empty == y_empty ? (int) x->row - (int) y->row : (x_empty ? 1 : -1);
  if (x->has_number && y->has_number)
    order = x->number < y->number ? -1 : x->number > y->number ? 1 : 0;
  else if (x->has_number != y->has_number)
    order = x->has_number ? -1 : 1;
  else
    order = g_strcmp0 (x->text, y->text);
  if (sort_descending)
    order = -order;
  /* Stable: equal cells keep the members' order. */
  return order != 0 ? order : (int) x->row - (int) y->row;
}

/* (transfer full): the rows of @members in the order of @column. */
static GArray *
sorted_rows (JsonArray *members, const char *column, gboolean descending)
{
  guint n = json_array_get_length (members);
  GArray *cells = g_array_sized_new (FALSE, TRUE, sizeof (SortCell), n);

  for (guint i = 0; i < n; i++)
    {
      JsonObject *member = json_array_get_object_element (members, i);
      JsonNode *node = member != NULL ? column_node (member, column) : NULL;
      SortCell cell = { .row = i };

      if (node_number (node, &cell.number))
        /* NaN is never equal to itself: sorted as nothing. */
        cell.has_number = cell.number == cell.number;
      else if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
               && json_node_get_value_type (node) == G_TYPE_STRING)
        cell.text = json_node_get_string (node);
      g_array_append_val (cells, cell);
    }
  /* The server is single-threaded: a file-level flag is enough. */
  sort_descending = descending;
  g_array_sort (cells, compare_cells);
  return cells;
}

/* ---- the page ---- */

/* A column header: a link that sorts by it (again: the other way). A
 * metric is first sorted best first. */
static void
append_header (GString *out, const char *sweep_id, const char *column, const char *label,
               const char *sort, gboolean descending, gboolean first_descending)
{
  gboolean current = g_strcmp0 (sort, column) == 0;
  gboolean next_descending = current ? !descending : first_descending;
  g_autofree char *escaped_column = g_uri_escape_string (column, NULL, FALSE);

  g_string_append (out, "<th scope=\"col\"");
  if (current)
    g_string_append_printf (out, " aria-sort=\"%s\"", descending ? "descending" : "ascending");
  append_text (out, "><a class=\"sweep-sort\" data-sort=\"", column);
  append_text (out, "\" href=\"/sweeps/", sweep_id);
  g_string_append (out, "?sort=");
  cmdb_html_append_escaped (out, escaped_column);
  g_string_append_printf (out, "&amp;order=%s\">", next_descending ? "desc" : "asc");
  cmdb_html_append_escaped (out, label);
  if (current)
    g_string_append (out, descending ? " \u25be" : " \u25b4");
  g_string_append (out, "</a></th>");
}

static void
append_duration (GString *out, JsonObject *member)
{
  double seconds;
  gint64 whole;

  if (!node_number (json_object_get_member (member, "duration_s"), &seconds) || seconds < 0)
    return;
  whole = (gint64) seconds;
  if (whole >= 3600)
    g_string_append_printf (out, "%" G_GINT64_FORMAT " h %02d min", whole / 3600,
                            (int) (whole / 60 % 60));
  else if (whole >= 60)
    g_string_append_printf (out, "%" G_GINT64_FORMAT " min %02d s", whole / 60, (int) (whole % 60));
  else
    g_string_append_printf (out, "%.1f s", seconds);
}

static void
append_counts (GString *out, JsonObject *counts)
{
  g_autoptr (GList) names = counts != NULL ? json_object_get_members (counts) : NULL;
  gboolean first = TRUE;

  for (GList *l = names; l != NULL; l = l->next)
    {
      g_string_append_printf (out, "%s%" G_GINT64_FORMAT " ", first ? "" : ", ",
                              json_object_get_int_member (counts, l->data));
      cmdb_html_append_escaped (out, l->data);
      first = FALSE;
    }
}

char *
cmdb_html_render_sweep (JsonObject *report, const char *page_title, const char *sort,
                        gboolean descending)
{
  GString *out = g_string_new (NULL);
  const char *id = get_string (report, "id");
  const char *page = get_string (report, "page");
  const char *status = get_string (report, "status");
  const char *executor = get_string (report, "executor");
  const char *rerun_of = get_string (report, "rerun_of");
  JsonArray *keys = get_array (report, "keys");
  JsonArray *metric_names = get_array (report, "metric_names");
  JsonArray *members = get_array (report, "members");
  JsonObject *best = get_object (report, "best");
  const char *best_metric = get_string (best, "metric");
  gboolean best_min = g_strcmp0 (get_string (best, "goal"), "min") == 0;
  gboolean final = status != NULL && !g_str_equal (status, "queued")
                   && !g_str_equal (status, "running") && !g_str_equal (status, "stopping");
  guint n_keys = keys != NULL ? json_array_get_length (keys) : 0;
  guint n_metrics = metric_names != NULL ? json_array_get_length (metric_names) : 0;
  guint n_members = members != NULL ? json_array_get_length (members) : 0;
  g_autoptr (GArray) rows = NULL;
  JsonObject *counts = get_object (report, "counts");
  gboolean has_failed
      = counts != NULL
        && (json_object_has_member (counts, "failed") || json_object_has_member (counts, "lost")
            || json_object_has_member (counts, "stopped"));

  if (sort == NULL)
    sort = "index";
  /* One box across the page's grid (the pages' two columns). */
  append_text (out,
               "<div class=\"sweep-page\"><header class=\"page-head\"><h2 id=\"page-title\">"
               "Sweep of <a href=\"/",
               page);
  append_text (out, "\">", page_title != NULL ? page_title : page);
  append_text (out, "</a></h2><p class=\"subtitle\"><code class=\"run-id\">", id);
  g_string_append (out, "</code></p></header>");

  append_text (out, "<section class=\"sweep-view\" id=\"sweep-view\" data-sweep=\"", id);
  append_text (out, "\" data-status=\"", status);
  /* The order shown, for the script's refreshes (the address may have
   * lost its query). */
  append_text (out, "\" data-sort=\"", sort);
  g_string_append_printf (out, "\" data-order=\"%s\" data-final=\"%s\" aria-label=\"Sweep\">",
                          descending ? "desc" : "asc", final ? "true" : "false");
  append_text (out,
               "<p class=\"sweep-summary\"><span class=\"run-status\" id=\"sweep-status\" "
               "role=\"status\" data-status=\"",
               status);
  append_text (out, "\">", status);
  g_string_append_printf (out, "</span> <span class=\"sweep-count\">%u run%s</span> \u00b7 ",
                          n_members, n_members == 1 ? "" : "s");
  g_string_append_printf (out, "%" G_GINT64_FORMAT " at a time \u00b7 ",
                          json_object_get_int_member_with_default (report, "parallel", 1));
  cmdb_html_append_escaped (out, executor != NULL ? executor : "local");
  g_string_append (out, " \u00b7 <span class=\"sweep-counts\" id=\"sweep-counts\">");
  append_counts (out, counts);
  g_string_append (out, "</span>");
  if (rerun_of != NULL)
    {
      append_text (out, " \u00b7 reruns the failed members of <a href=\"/sweeps/", rerun_of);
      append_text (out, "\">", rerun_of);
      g_string_append (out, "</a>");
    }
  g_string_append (out, "</p>");

  /* The CSV is a plain link; the buttons need the script (the API asks for
   * JSON requests), which enables them. Only those that apply are shown:
   * stop while members are queued or run, rerun and delete once all ended
   * (delete never touches a running member). */
  append_text (
      out, "<div class=\"sweep-actions\"><a class=\"button\" id=\"sweep-csv\" href=\"/api/sweeps/",
      id);
  append_text (out, "/csv\" download=\"", id);
  g_string_append_printf (
      out,
      ".csv\">Download CSV</a> "
      "<button type=\"button\" id=\"sweep-stop\" disabled%s>Stop the sweep</button> "
      "<button type=\"button\" id=\"sweep-rerun\" disabled%s>Rerun the failed members</button> "
      "<button type=\"button\" id=\"sweep-delete\" class=\"secondary\" disabled%s>Delete the "
      "sweep</button></div>",
      final ? " hidden" : "", has_failed && final ? "" : " hidden", final ? "" : " hidden");
  g_string_append (out, "<noscript><p class=\"note\">Stopping, rerunning and deleting need "
                        "JavaScript (or the command line: <code>cmdbuilder stop</code>, "
                        "<code>cmdbuilder sweep --rerun-failed</code>, <code>cmdbuilder runs "
                        "delete</code>). Reload the page to see the members' progress.</p>"
                        "</noscript><p class=\"run-message\" id=\"sweep-message\" "
                        "role=\"alert\"></p>");

  if (n_members == 0)
    {
      g_string_append (out, "<p class=\"note\">This sweep has no members.</p></section></div>");
      return g_string_free (out, FALSE);
    }
  rows = sorted_rows (members, sort, descending);
  g_string_append (
      out,
      "<div class=\"sweep-scroll\"><table class=\"sweep-table\" id=\"sweep-table\"><thead><tr>");
  append_header (out, id, "index", "#", sort, descending, FALSE);
  for (guint k = 0; k < n_keys; k++)
    {
      const char *key = json_array_get_string_element (keys, k);
      g_autofree char *column = g_strconcat ("key:", key, NULL);

      append_header (out, id, column, key, sort, descending, FALSE);
    }
  append_header (out, id, "status", "Status", sort, descending, FALSE);
  append_header (out, id, "exit", "Exit", sort, descending, FALSE);
  append_header (out, id, "duration", "Duration", sort, descending, FALSE);
  for (guint m = 0; m < n_metrics; m++)
    {
      const char *name = json_array_get_string_element (metric_names, m);
      g_autofree char *column = g_strconcat ("metric:", name, NULL);
      gboolean is_best_metric = g_strcmp0 (name, best_metric) == 0;

      /* Best first: the goal's direction (other metrics: larger first). */
      append_header (out, id, column, name, sort, descending, is_best_metric ? !best_min : TRUE);
    }
  g_string_append (out, "<th scope=\"col\">Run</th></tr></thead><tbody>");
  for (guint r = 0; r < rows->len; r++)
    {
      guint i = g_array_index (rows, SortCell, r).row;
      JsonObject *member = json_array_get_object_element (members, i);
      JsonObject *values = get_object (member, "values");
      JsonObject *metrics = get_object (member, "metrics");
      const char *run = get_string (member, "run");
      const char *member_status = get_string (member, "status");
      gboolean is_best = json_object_get_boolean_member_with_default (member, "best", FALSE);

      g_string_append_printf (out, "<tr%s data-index=\"%" G_GINT64_FORMAT "\" data-run=\"",
                              is_best ? " class=\"best\"" : "",
                              json_object_get_int_member_with_default (member, "index", i));
      cmdb_html_append_escaped (out, run);
      append_text (out, "\" data-status=\"", member_status);
      g_string_append_printf (out, "\"><td>%" G_GINT64_FORMAT,
                              json_object_get_int_member_with_default (member, "index", i) + 1);
      if (is_best)
        g_string_append (out, " <span class=\"best-mark\" title=\"The best value of the "
                              "metric\">\u2605<span class=\"visually-hidden\"> best</span></span>");
      g_string_append (out, "</td>");
      for (guint k = 0; k < n_keys; k++)
        {
          const char *key = json_array_get_string_element (keys, k);
          g_autofree char *text
              = value_text (values != NULL ? json_object_get_member (values, key) : NULL);

          append_text (out, "<td class=\"sweep-value\"><code>", text);
          g_string_append (out, "</code></td>");
        }
      append_text (out, "<td><span class=\"run-status\" data-status=\"", member_status);
      append_text (out, "\">", member_status);
      g_string_append (out, "</span></td><td class=\"sweep-exit\">");
      if (json_object_has_member (member, "exit_code")
          && !json_object_get_null_member (member, "exit_code"))
        g_string_append_printf (out, "%" G_GINT64_FORMAT,
                                json_object_get_int_member (member, "exit_code"));
      g_string_append (out, "</td><td class=\"run-duration\">");
      append_duration (out, member);
      g_string_append (out, "</td>");
      for (guint m = 0; m < n_metrics; m++)
        {
          const char *name = json_array_get_string_element (metric_names, m);
          JsonNode *node = metrics != NULL ? json_object_get_member (metrics, name) : NULL;
          g_autofree char *text = node != NULL ? value_text (node) : NULL;

          append_text (out, "<td class=\"sweep-metric\" data-metric=\"", name);
          append_text (out, "\">", text);
          g_string_append (out, "</td>");
        }
      g_string_append (out, "<td class=\"run-actions\">");
      if (run != NULL && member_status != NULL && !g_str_equal (member_status, "deleted"))
        {
          append_text (out, "<code class=\"run-id\">", run);
          append_text (out, "</code> <a href=\"/api/runs/", run);
          g_string_append (out, "/log?stream=stdout\" target=\"_blank\">output</a>");
        }
      g_string_append (out, "</td></tr>");
    }
  g_string_append (out, "</tbody></table></div>");
  if (best_metric != NULL)
    {
      append_text (out, "<p class=\"note sweep-best\">\u2605 marks the best ", best_metric);
      g_string_append (out, best_min ? " (the smallest)" : " (the largest)");
      g_string_append (out, "; the metrics are read from each member's output "
                            "(<code>[metrics]</code> in the workspace's "
                            "<code>cmdbuilder.ini</code>).</p>");
    }
  g_string_append (out, "</section></div>");
  return g_string_free (out, FALSE);
}
