#define G_LOG_DOMAIN "cmdb-server"

/* The renderer's part for runs: the execution panel of a page, the runs
 * table and the Predict page's submission export panel. Like the rest of
 * the renderer (cmdb-server-render.c) it turns data into markup and escapes
 * every string it did not write itself: run ids, commands, page ids, file
 * names and the converter's output are all hostile text here. Live output
 * lines are added by runs.js with textContent, never as markup. */

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

static gboolean
get_int (JsonObject *object, const char *name, gint64 *ret_value)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *ret_value = json_node_get_int (node);
  return TRUE;
}

static gboolean
get_bool (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

static JsonArray *
get_array (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* "exit 0", "exit 143 (signal 15)" or "" while running. */
static void
append_exit (GString *out, JsonObject *run)
{
  gint64 code, signal_number;

  if (!get_int (run, "exit_code", &code))
    return;
  g_string_append_printf (out, "exit %" G_GINT64_FORMAT, code);
  if (get_int (run, "signal", &signal_number))
    g_string_append_printf (out, " (signal %" G_GINT64_FORMAT ")", signal_number);
}

/* The sweep editor (docs/web-ui.md, "Sweeps"): sweeps.js fills it (the
 * fields to give several values, the count and each member's command from
 * the preview, the launch) and lists the page's sweeps. Inside the
 * execution panel, which the page's updates leave alone. */
static void
render_sweep_panel (GString *out, const char *page_id)
{
  append_text (out, "<details class=\"sweep-panel\" id=\"sweep-panel\" data-page=\"", page_id);
  g_string_append (
      out, "\"><summary>Sweep: run several values</summary>"
           "<noscript><p class=\"note\">Sweeps need JavaScript here; on the command line: "
           "<code>cmdbuilder run PAGE --sweep KEY=a,b,c</code>.</p></noscript>"
           "<div class=\"sweep-editor\" id=\"sweep-editor\" hidden>"
           "<p class=\"note\">Give fields several values: every combination is one run, started "
           "with the executor chosen above.</p>"
           "<div class=\"sweep-fields\" id=\"sweep-fields\"></div>"
           "<p class=\"sweep-add-row\"><label>Field <select id=\"sweep-add-key\"></select></label> "
           "<button type=\"button\" id=\"sweep-add\">Several values</button></p>"
           "<p class=\"sweep-count\" id=\"sweep-count\" role=\"status\"></p>"
           "<p class=\"error sweep-error\" id=\"sweep-error\" role=\"alert\" hidden></p>"
           "<ol class=\"sweep-commands\" id=\"sweep-commands\"></ol>"
           "<p class=\"sweep-launch-row\"><label>At a time <input type=\"number\" "
           "id=\"sweep-parallel\" min=\"1\" max=\"1000\" value=\"1\"></label> "
           "<button type=\"button\" id=\"sweep-launch\" class=\"primary\" disabled>Launch the "
           "sweep</button></p></div>"
           "<h4>Sweeps of this page</h4><ul class=\"sweep-list\" id=\"sweep-list\"></ul>"
           "</details>");
}

void
cmdb_html_render_execution_panel (GString *out, const char *page_id, JsonObject *run,
                                  gboolean invalid)
{
  const char *status = get_string (run, "status");
  const char *id = get_string (run, "id");
  gboolean going = status != NULL
                   && (g_str_equal (status, "starting") || g_str_equal (status, "running")
                       || g_str_equal (status, "stopping"));

  append_text (out,
               "<section class=\"execution\" id=\"execution\" aria-labelledby=\"execution-title\">"
               "<h3 id=\"execution-title\">Run</h3>"
               "<div id=\"execution-panel\" class=\"run-panel\" data-client-owned data-page=\"",
               page_id);
  append_text (out, "\" data-run=\"", id);
  append_text (out, "\" data-status=\"", status);
  append_text (out, "\" data-started-at=\"", get_string (run, "started_at"));
  append_text (out, "\" data-ended-at=\"", get_string (run, "ended_at"));
  g_string_append (out, "\"><div class=\"run-head\"><span class=\"run-status\" id=\"run-status\" "
                        "role=\"status\" data-status=\"");
  cmdb_html_append_escaped (out, status != NULL ? status : "none");
  g_string_append (out, "\">");
  cmdb_html_append_escaped (out, status != NULL ? status : "No run yet");
  /* runs.js writes the start in the browser's local time. */
  g_string_append (out, "</span> <time class=\"run-started\" id=\"run-started\"></time> "
                        "<span class=\"run-elapsed\" id=\"run-elapsed\"></span> "
                        "<span class=\"run-exit\" id=\"run-exit\">");
  append_exit (out, run);
  append_text (out, "</span> <code class=\"run-id\" id=\"run-id\">", id);
  g_string_append_printf (
      out,
      "</code></div><div class=\"run-buttons\">"
      "<button type=\"button\" id=\"run-start\" class=\"primary\"%s%s>Run command</button>"
      "<button type=\"button\" id=\"run-stop\"%s>Stop</button></div>",
      invalid ? " data-invalid=\"true\"" : "", going || invalid ? " disabled" : "",
      going && !g_str_equal (status, "stopping") ? "" : " disabled");
  g_string_append_printf (out,
                          "<p class=\"note\" id=\"run-invalid\"%s>Run is off while the "
                          "command has errors: fix the marked fields.</p>",
                          invalid ? "" : " hidden");
  /* Filled by runs.js from GET /api/executors (rendered below) when there
   * is more than one executor to choose from. */
  g_string_append (out, "<div class=\"run-executor\" id=\"run-executor\" hidden></div>");
  g_string_append (out,
                   "<p class=\"run-message\" id=\"run-message\" role=\"alert\"></p>"
                   "<div class=\"run-output\" id=\"run-output\" role=\"log\" aria-live=\"polite\" "
                   "aria-label=\"Live output\" tabindex=\"0\"></div>"
                   "<p class=\"run-logs\" id=\"run-logs\"");
  if (id == NULL)
    g_string_append (out, " hidden");
  g_string_append (out, "><a id=\"run-stdout\" target=\"_blank\" href=\"");
  if (id != NULL)
    append_text (out, "/api/runs/", id), g_string_append (out, "/log?stream=stdout");
  g_string_append (out, "\">Complete standard output</a> \u00b7 "
                        "<a id=\"run-stderr\" target=\"_blank\" href=\"");
  if (id != NULL)
    append_text (out, "/api/runs/", id), g_string_append (out, "/log?stream=stderr");
  g_string_append (out, "\">Complete standard error</a></p>"
                        "<details class=\"run-history\" id=\"run-history\"><summary>Runs</summary>"
                        "<div class=\"run-filters\"><label>Page <select id=\"run-filter-page\">"
                        "<option value=\"page\" selected>This page</option>"
                        "<option value=\"*\">All pages</option></select></label> "
                        "<label>Status <select id=\"run-filter-status\"><option value=\"\" "
                        "selected>Any</option>");
  for (int s = CMDB_RUN_STATUS_STARTING; s <= CMDB_RUN_STATUS_QUEUED; s++)
    {
      const char *name = cmdb_run_status_to_string ((CmdbRunStatus) s);
      append_text (out, "<option value=\"", name);
      append_text (out, "\">", name);
      g_string_append (out, "</option>");
    }
  g_string_append (out, "</select></label> <button type=\"button\" id=\"run-diff-button\" "
                        "disabled>Compare the two selected</button></div>"
                        "<div id=\"run-list\" class=\"run-list\"></div>"
                        "<div id=\"run-diff\" class=\"run-diff\"></div></details>"
                        "<section id=\"page-actions\" class=\"page-actions\" hidden></section>");
  render_sweep_panel (out, page_id);
  g_string_append (out, "</div></section>");
}

/* "2026-11-30 19:23:58 UTC" from the record's ISO 8601 UTC time; the
 * page shows it in the browser's local time (app.js, from datetime). */
static void
append_created (GString *out, const char *created_at)
{
  g_autofree char *shown = g_strndup (created_at != NULL ? created_at : "", 19);

  g_strdelimit (shown, "T", ' ');
  append_text (out, "<td class=\"run-created\"><time class=\"local-time\" datetime=\"", created_at);
  append_text (out, "\">", shown);
  g_string_append (out, created_at != NULL ? " UTC</time></td>" : "</time></td>");
}

/* "1 h 02 min", "3 min 05 s", "12 s" between two ISO 8601 times (nothing
 * without both: a run not started or still going). */
static void
append_duration (GString *out, const char *started_at, const char *ended_at)
{
  g_autoptr (GDateTime) start
      = started_at != NULL ? g_date_time_new_from_iso8601 (started_at, NULL) : NULL;
  g_autoptr (GDateTime) end
      = ended_at != NULL ? g_date_time_new_from_iso8601 (ended_at, NULL) : NULL;
  gint64 seconds;

  if (start == NULL || end == NULL)
    return;
  seconds = MAX (0, g_date_time_difference (end, start) / G_TIME_SPAN_SECOND);
  if (seconds >= 3600)
    g_string_append_printf (out, "%" G_GINT64_FORMAT " h %02" G_GINT64_FORMAT " min",
                            seconds / 3600, seconds / 60 % 60);
  else if (seconds >= 60)
    g_string_append_printf (out, "%" G_GINT64_FORMAT " min %02" G_GINT64_FORMAT " s", seconds / 60,
                            seconds % 60);
  else
    g_string_append_printf (out, "%" G_GINT64_FORMAT " s", seconds);
}

char *
cmdb_html_render_run_list (JsonArray *runs, gboolean show_page)
{
  GString *out = g_string_new (NULL);
  guint n = runs != NULL ? json_array_get_length (runs) : 0;

  if (n == 0)
    {
      g_string_append (out, "<p class=\"note\">No runs.</p>");
      return g_string_free (out, FALSE);
    }
  g_string_append (out, "<table class=\"runs\"><thead><tr><th scope=\"col\">"
                        "<span class=\"visually-hidden\">Compare</span></th>"
                        "<th scope=\"col\">Status</th><th scope=\"col\">Experiment</th>"
                        "<th scope=\"col\">Differs from defaults</th>"
                        "<th scope=\"col\">Started</th><th scope=\"col\">Duration</th>"
                        "<th scope=\"col\">Exit</th><th scope=\"col\">Actions</th>"
                        "</tr></thead><tbody>");
  for (guint i = 0; i < n; i++)
    {
      JsonObject *run = json_array_get_object_element (runs, i);
      const char *id = get_string (run, "id");
      const char *status = get_string (run, "status");
      const char *experiment = get_string (run, "experiment");
      const char *command = get_bool (run, "edited") && get_string (run, "edited_command") != NULL
                                ? get_string (run, "edited_command")
                                : get_string (run, "command");
      JsonArray *differs = get_array (run, "differs");
      /* A queued sweep member can be stopped too: it is cancelled. */
      gboolean going = status != NULL
                       && (g_str_equal (status, "starting") || g_str_equal (status, "running")
                           || g_str_equal (status, "queued"));
      gboolean has_values = json_object_has_member (run, "values")
                            && JSON_NODE_HOLDS_OBJECT (json_object_get_member (run, "values"))
                            && get_string (run, "page") != NULL;

      append_text (out, "<tr data-run=\"", id);
      append_text (out, "\" data-status=\"", status);
      append_text (out, "\"><td><input type=\"checkbox\" class=\"run-compare\" value=\"", id);
      append_text (out, "\" aria-label=\"Compare run ", id);
      append_text (out, "\"></td><td><span class=\"run-status\" data-status=\"", status);
      append_text (out, "\">", status);
      /* Runs recorded before executors existed ran locally. */
      append_text (out, "</span> <span class=\"run-executor\">",
                   get_string (run, "executor") != NULL ? get_string (run, "executor") : "local");
      g_string_append (out, "</span></td><td class=\"run-experiment\">");
      if (show_page && get_string (run, "page") != NULL)
        append_text (out, "<span class=\"run-page\">", get_string (run, "page")),
            g_string_append (out, "</span> ");
      append_text (out, "<span title=\"", command);
      append_text (out, "\">", experiment != NULL ? experiment : "-");
      append_text (out, "</span> <code class=\"run-id\">", id);
      g_string_append (out, "</code>");
      if (get_bool (run, "edited"))
        g_string_append (out, " <span class=\"badge\">edited</span>");
      /* A sweep's member links to its sweep, where it is compared. */
      if (get_string (run, "sweep") != NULL)
        {
          gint64 index = 0;

          append_text (out, " <a class=\"badge run-sweep\" href=\"/sweeps/",
                       get_string (run, "sweep"));
          g_string_append (out, "\">sweep");
          if (get_int (run, "sweep_index", &index))
            g_string_append_printf (out, " #%" G_GINT64_FORMAT, index + 1);
          g_string_append (out, "</a>");
        }
      g_string_append (out, "</td><td class=\"run-differs\">");
      for (guint j = 0; differs != NULL && j < json_array_get_length (differs); j++)
        append_text (out, "<code>", json_array_get_string_element (differs, j)),
            g_string_append (out, "</code> ");
      if (differs != NULL && json_array_get_length (differs) == 0)
        g_string_append (out, "<span class=\"note\">the defaults</span>");
      g_string_append (out, "</td>");
      append_created (out, get_string (run, "started_at") != NULL ? get_string (run, "started_at")
                                                                  : get_string (run, "created_at"));
      g_string_append (out, "<td class=\"run-duration\">");
      append_duration (out, get_string (run, "started_at"), get_string (run, "ended_at"));
      g_string_append (out, "</td><td>");
      append_exit (out, run);
      append_text (out,
                   "</td><td class=\"run-actions\"><button type=\"button\" "
                   "class=\"run-show\" data-run=\"",
                   id);
      g_string_append (out, "\">Show</button>");
      if (going)
        append_text (out, "<button type=\"button\" class=\"run-stop-one\" data-run=\"", id),
            g_string_append (out, "\">Stop</button>");
      if (has_values)
        append_text (out,
                     "<button type=\"button\" class=\"run-rerun\" data-mode=\"values\" "
                     "data-run=\"",
                     id),
            append_text (out, "\" data-command=\"", command),
            g_string_append (out, "\" title=\"Put the run's form values back and run the "
                                  "command they give now\">Rerun with its values</button>");
      append_text (
          out, "<button type=\"button\" class=\"run-rerun\" data-mode=\"argv\" data-run=\"", id);
      append_text (out, "\" data-command=\"", command);
      g_string_append (out, "\" title=\"Run exactly the same command line again\">Rerun "
                            "exact command</button>");
      /* Ended runs only; the server checks again (a lost run whose command
       * still lives is refused). */
      if (status != NULL
          && (g_str_equal (status, "succeeded") || g_str_equal (status, "failed")
              || g_str_equal (status, "stopped") || g_str_equal (status, "lost")))
        append_text (out, "<button type=\"button\" class=\"run-delete secondary\" data-run=\"", id),
            g_string_append (out, "\">Delete</button>");
      g_string_append (out, "</td></tr>");
    }
  g_string_append (out, "</tbody></table>");
  return g_string_free (out, FALSE);
}

static void
append_option (GString *out, const char *value, const char *label, gboolean selected)
{
  append_text (out, "<option value=\"", value);
  g_string_append_printf (out, "\"%s>", selected ? " selected" : "");
  cmdb_html_append_escaped (out, label);
  g_string_append (out, "</option>");
}

/* 1234567 -> "1,234,567", as the original showed sizes. */
static char *
thousands (gint64 value)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GINT64_FORMAT, value);
  GString *out = g_string_new (NULL);
  gsize n = strlen (digits);

  for (gsize i = 0; i < n; i++)
    {
      if (i > 0 && (n - i) % 3 == 0 && digits[i - 1] != '-')
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

/* The outcome of a conversion: message, the file made (absolute path,
 * size, a download: the server may be another machine), then the
 * converter's own words. */
static void
render_export_outcome (GString *out, JsonObject *result)
{
  const char *message = get_string (result, "message");
  const char *stdout_text = get_string (result, "stdout");
  const char *stderr_text = get_string (result, "stderr");
  const char *output_path = get_string (result, "output_path");
  const char *output_name = get_string (result, "output_name");
  gboolean ok = get_bool (result, "ok");

  if (message == NULL)
    return;
  append_text (out,
               ok ? "<p class=\"export-message success\" role=\"status\">"
                  : "<p class=\"export-message error\" role=\"alert\" id=\"export-error\">",
               message);
  g_string_append (out, "</p>");
  if (ok && output_path != NULL && json_object_has_member (result, "size"))
    {
      g_autofree char *size = thousands (json_object_get_int_member (result, "size"));
      g_autofree char *query
          = output_name != NULL ? g_uri_escape_string (output_name, NULL, FALSE) : NULL;

      append_text (out, "<p class=\"export-file\" id=\"export-file\">File created: <code>",
                   output_path);
      g_string_append_printf (out, "</code> (%s bytes)", size);
      if (query != NULL)
        {
          g_autofree char *base = g_path_get_basename (output_name);

          g_string_append_printf (out,
                                  " <a id=\"export-download\" href=\"/api/outputs?name=%s\" "
                                  "download=\"",
                                  query);
          cmdb_html_append_escaped (out, base);
          g_string_append (out, "\">Download</a>");
        }
      g_string_append (out, "</p>");
    }
  if (get_bool (result, "needs_confirmation"))
    g_string_append (out, "<p><button type=\"button\" id=\"export-overwrite\">Overwrite it"
                          "</button></p>");
  if (stdout_text != NULL && stdout_text[0] != '\0')
    append_text (out,
                 "<details class=\"export-stdout\"><summary>Conversion output</summary>"
                 "<pre>",
                 stdout_text),
        g_string_append (out, "</pre></details>");
  if (stderr_text != NULL && stderr_text[0] != '\0')
    append_text (out,
                 "<details class=\"export-stderr\" open><summary>Error details</summary>"
                 "<pre>",
                 stderr_text),
        g_string_append (out, "</pre></details>");
}

/* The page's words on what the CSV is for. */
static void
render_export_help (GString *out, JsonObject *result)
{
  JsonArray *lines = get_array (result, "help");
  const char *title = get_string (result, "help_title");

  if (lines == NULL || json_array_get_length (lines) == 0)
    return;
  append_text (out, "<details class=\"export-help\" id=\"export-help\"><summary>",
               title != NULL ? title : "Help");
  g_string_append (out, "</summary>");
  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonNode *line = json_array_get_element (lines, i);

      if (JSON_NODE_HOLDS_VALUE (line) && json_node_get_value_type (line) == G_TYPE_STRING)
        append_text (out, "<p>", json_node_get_string (line)), g_string_append (out, "</p>");
    }
  g_string_append (out, "</details>");
}

char *
cmdb_html_render_export_panel (JsonObject *result)
{
  GString *out = g_string_new (NULL);
  JsonArray *experiments = get_array (result, "experiments");
  const char *chosen_experiment = get_string (result, "experiment");
  const char *chosen_json = get_string (result, "json_path");
  const char *output = get_string (result, "output");
  gboolean output_refused = g_strcmp0 (get_string (result, "field"), "output") == 0;
  JsonArray *submissions = NULL;

  g_string_append (out, "<h3 id=\"export-title\">Export submission (CSV)</h3>"
                        "<div class=\"export\" id=\"export\" aria-labelledby=\"export-title\">");
  if (experiments == NULL || json_array_get_length (experiments) == 0)
    g_string_append (out, "<p class=\"note warning\" id=\"export-none\">No submission found: "
                          "run a prediction first (its submissions go to "
                          "outputs/&lt;experiment&gt;/submissions/), or type or upload a "
                          "JSON file below.</p>");
  else
    {
      g_string_append (out, "<label for=\"export-experiment\">Experiment</label>"
                            "<select id=\"export-experiment\">");
      append_option (out, "", "Choose experiment\u2026", chosen_experiment == NULL);
      for (guint i = 0; i < json_array_get_length (experiments); i++)
        {
          JsonObject *experiment = json_array_get_object_element (experiments, i);
          const char *name = get_string (experiment, "name");
          gboolean selected = g_strcmp0 (name, chosen_experiment) == 0;

          append_option (out, name, name, selected);
          if (selected)
            submissions = get_array (experiment, "submissions");
        }
      g_string_append (out, "</select><label for=\"export-json\">Submission JSON (newest first)"
                            "</label><select id=\"export-json\">");
      append_option (out, "", "Choose file\u2026", chosen_json == NULL);
      for (guint i = 0; submissions != NULL && i < json_array_get_length (submissions); i++)
        {
          JsonObject *file = json_array_get_object_element (submissions, i);
          append_option (out, get_string (file, "path"), get_string (file, "name"),
                         g_strcmp0 (get_string (file, "path"), chosen_json) == 0);
        }
      g_string_append (out, "</select>");
    }
  append_text (out,
               "<label for=\"export-json-path\">JSON file path (relative to the workspace)"
               "</label><input type=\"text\" id=\"export-json-path\" "
               "placeholder=\"outputs/&lt;experiment&gt;/submissions/&lt;time&gt;.json\" value=\"",
               chosen_json != NULL ? chosen_json : "");
  g_string_append (out, "\"><label for=\"export-upload\">Or upload a JSON file</label>"
                        "<input type=\"file\" id=\"export-upload\" "
                        "accept=\".json,application/json\">");
  append_text (out,
               "<div class=\"export-row\"><label for=\"export-output\">Output CSV filename "
               "(in outputs/)</label><input type=\"text\" id=\"export-output\" value=\"",
               output != NULL ? output : "submission.csv");
  g_string_append_printf (
      out,
      "\"%s><label><input type=\"checkbox\" id=\"export-confidence\"%s> "
      "Include confidence</label>"
      "<button type=\"button\" id=\"export-convert\"%s>Convert to CSV"
      "</button></div>",
      output_refused ? " aria-invalid=\"true\" aria-describedby=\"export-error\"" : "",
      get_bool (result, "include_confidence") ? " checked" : "",
      chosen_json == NULL ? " disabled" : "");
  render_export_outcome (out, result);
  render_export_help (out, result);
  g_string_append (out, "</div>");
  return g_string_free (out, FALSE);
}

char *
cmdb_html_render_executor_choice (JsonArray *executors, const char *default_id)
{
  GString *out;
  guint n = executors != NULL ? json_array_get_length (executors) : 0;

  if (n < 2)
    return g_strdup ("");
  out = g_string_new ("<label>Executor <select id=\"run-executor-select\">");
  for (guint i = 0; i < n; i++)
    {
      JsonObject *executor = json_array_get_object_element (executors, i);
      const char *id = get_string (executor, "id");

      append_option (out, id, get_string (executor, "title"), g_strcmp0 (id, default_id) == 0);
    }
  g_string_append (out, "</select></label><div id=\"run-executor-form\" "
                        "class=\"run-executor-form\"></div>");
  return g_string_free (out, FALSE);
}

/* The value of a form field as the text of an input. */
static char *
field_text (JsonObject *field)
{
  JsonNode *value = json_object_get_member (field, "value");

  if (value == NULL || !JSON_NODE_HOLDS_VALUE (value))
    return g_strdup ("");
  if (json_node_get_value_type (value) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (value));
  if (json_node_get_value_type (value) == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (value));
  if (json_node_get_value_type (value) == G_TYPE_DOUBLE)
    {
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];
      return g_strdup (g_ascii_dtostr (buffer, sizeof buffer, json_node_get_double (value)));
    }
  return g_strdup ("");
}

static void
append_number_attribute (GString *out, JsonObject *field, const char *name)
{
  JsonNode *value = json_object_get_member (field, name);

  if (value == NULL || !JSON_NODE_HOLDS_VALUE (value))
    return;
  if (json_node_get_value_type (value) == G_TYPE_INT64)
    g_string_append_printf (out, " %s=\"%" G_GINT64_FORMAT "\"", name, json_node_get_int (value));
}

char *
cmdb_html_render_executor_form (JsonObject *form)
{
  GString *out = g_string_new (NULL);
  JsonArray *fields = get_array (form, "fields");
  const char *title = get_string (form, "title");

  append_text (out, "<fieldset class=\"executor-form\" data-executor=\"",
               get_string (form, "executor"));
  append_text (out, "\"><legend>", title != NULL ? title : get_string (form, "executor"));
  g_string_append (out, "</legend>");
  for (guint i = 0; fields != NULL && i < json_array_get_length (fields); i++)
    {
      JsonObject *field = json_array_get_object_element (fields, i);
      const char *key = get_string (field, "key");
      const char *type = get_string (field, "type");
      const char *option = get_string (field, "option");
      const char *help = get_string (field, "help");
      JsonArray *errors = get_array (field, "errors");
      g_autofree char *text = field_text (field);
      g_autofree char *id = g_strconcat ("executor-", key != NULL ? key : "", NULL);

      if (option == NULL
          || (json_object_has_member (field, "visible") && !get_bool (field, "visible")))
        continue;
      append_text (out, "<div class=\"field\"><label for=\"", id);
      append_text (out, "\">", get_string (field, "label"));
      g_string_append (out, "</label>");
      if (g_strcmp0 (type, "selectbox") == 0)
        {
          JsonArray *choices = get_array (field, "options");
          gboolean listed = text[0] == '\0';

          append_text (out, "<select id=\"", id);
          append_text (out, "\" data-option=\"", option);
          g_string_append (out, "\">");
          append_option (out, "", "(cluster default)", text[0] == '\0');
          for (guint j = 0; choices != NULL && j < json_array_get_length (choices); j++)
            {
              JsonObject *choice = json_array_get_object_element (choices, j);
              const char *value = get_string (choice, "value");

              if (value == NULL || value[0] == '\0')
                continue;
              listed = listed || g_str_equal (value, text);
              append_option (out, value, get_string (choice, "label"), g_str_equal (value, text));
            }
          /* A configured default the cluster does not list stays visible:
           * the executor reports it when the run is submitted. */
          if (!listed)
            append_option (out, text, text, TRUE);
          g_string_append (out, "</select>");
        }
      else if (g_strcmp0 (type, "text_area") == 0)
        {
          append_text (out, "<textarea rows=\"2\" data-list id=\"", id);
          append_text (out, "\" data-option=\"", option);
          append_text (out, "\">", text);
          g_string_append (out, "</textarea>");
        }
      else
        {
          append_text (out, "<input id=\"", id);
          append_text (out, "\" data-option=\"", option);
          if (g_strcmp0 (type, "number_input") == 0)
            {
              g_string_append (out, "\" type=\"number\"");
              append_number_attribute (out, field, "min");
              append_number_attribute (out, field, "max");
              append_number_attribute (out, field, "step");
            }
          else
            g_string_append (out, "\" type=\"text\"");
          append_text (out, " value=\"", text);
          g_string_append (out, "\">");
        }
      if (help != NULL)
        append_text (out, "<small class=\"help\">", help), g_string_append (out, "</small>");
      for (guint j = 0; errors != NULL && j < json_array_get_length (errors); j++)
        append_text (out, "<span class=\"error\" role=\"alert\">",
                     json_array_get_string_element (errors, j)),
            g_string_append (out, "</span>");
      /* Filled by runs.js (as text) with what POST /api/executors/<id>/check
       * finds wrong with this value. */
      append_text (out, "<span class=\"error option-problem\" role=\"alert\" data-problem-for=\"",
                   option);
      g_string_append (out, "\" hidden></span></div>");
    }
  g_string_append (out, "</fieldset>");
  return g_string_free (out, FALSE);
}
