#define G_LOG_DOMAIN "cmdb-cli"

#include "cli.h"
#include "presets/cmdb-presets-private.h"

#include <stdio.h>
#include <string.h>

/* The part `cmdbuilder build` and `cmdbuilder run` share: a page's command
 * from its schema, the workspace and the --set / --use-case / suffix flags,
 * as the web UI would compose it. */

static const CmdbUseCase *
find_use_case (GPtrArray *use_cases, const char *id)
{
  for (guint i = 0; i < use_cases->len; i++)
    {
      const CmdbUseCase *use_case = g_ptr_array_index (use_cases, i);

      if (g_str_equal (use_case->id, id))
        return use_case;
    }
  return NULL;
}

/* Applies --use-case then --set; on failure sets @error (exit status 2,
 * the form's verdict: the server answers the same input with the same
 * errors). */
static gboolean
fill_input (CmdbCliSession *session, CmdbPageSession *page_session,
            const CmdbCliPageCommandFlags *flags, CmdbFormInput *input, GError **error)
{
  CmdbSchema *schema = cmdb_page_session_get_schema (page_session);

  if (flags->use_case_id != NULL)
    {
      g_autoptr (GPtrArray) use_cases = cmdb_cli_list_use_cases (session->context);
      const CmdbUseCase *use_case = find_use_case (use_cases, flags->use_case_id);

      if (use_case == NULL)
        {
          g_autoptr (GPtrArray) ids = g_ptr_array_new ();
          g_autofree char *message = NULL;

          for (guint i = 0; i < use_cases->len; i++)
            g_ptr_array_add (ids, ((CmdbUseCase *) g_ptr_array_index (use_cases, i))->id);
          message = cmdb_cli_unknown_name_message ("use case", flags->use_case_id, ids);
          g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_UNKNOWN_KEY, "--use-case %s: %s",
                       flags->use_case_id, message);
          return FALSE;
        }
      cmdb_form_input_apply_use_case (input, schema, use_case);
    }
  if (flags->preset != NULL
      && !cmdb_cli_apply_preset (session, page_session, flags->preset, input, error))
    return FALSE;
  for (guint i = 0; flags->sets != NULL && flags->sets[i] != NULL; i++)
    {
      const char *set = flags->sets[i];
      const char *equals = strchr (set, '=');
      g_autofree char *key = NULL;
      g_autoptr (GError) local_error = NULL;

      if (equals == NULL || equals == set)
        {
          g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_UNKNOWN_KEY,
                       "--set %s: expected KEY=VALUE", set);
          return FALSE;
        }
      key = g_strndup (set, equals - set);
      if (!cmdb_page_session_set_text (page_session, input, key, equals + 1, &local_error))
        {
          g_set_error (error, CMDB_FORM_ERROR, local_error->code, "--set %s: %s", set,
                       local_error->message);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
cmdb_cli_apply_preset (CmdbCliSession *session, CmdbPageSession *page_session, const char *name,
                       CmdbFormInput *input, GError **error)
{
  const char *page_id = cmdb_page_session_get_id (page_session);
  g_autoptr (GError) local_error = NULL;
  g_autoptr (CmdbPreset) preset = cmdb_presets_find (session->context, page_id, name, &local_error);
  g_autoptr (GPtrArray) skipped = NULL;

  if (preset == NULL)
    {
      if (g_error_matches (local_error, CMDB_PRESET_ERROR, CMDB_PRESET_ERROR_NOT_FOUND))
        {
          g_autoptr (GPtrArray) presets = cmdb_presets_list (session->context, page_id, NULL);
          g_autoptr (GPtrArray) names = g_ptr_array_new ();
          g_autofree char *message = NULL;

          for (guint i = 0; i < presets->len; i++)
            g_ptr_array_add (names, ((CmdbPreset *) g_ptr_array_index (presets, i))->name);
          message = cmdb_cli_unknown_name_message ("preset", name, names);
          g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_UNKNOWN_KEY, "--preset %s: %s", name,
                       message);
        }
      else
        g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_FAILED, "--preset %s: %s", name,
                     local_error->message);
      return FALSE;
    }
  skipped = cmdb_preset_apply (preset, cmdb_page_session_get_schema (page_session), input);
  for (guint i = 0; i < skipped->len; i++)
    cmdb_cli_report (CMDB_SEVERITY_WARNING,
                     "preset %s: skipped '%s', a key the page no longer has (%s)",
                     cmdb_cli_safe (name), cmdb_cli_safe (g_ptr_array_index (skipped, i)),
                     cmdb_cli_safe (preset->path));
  return TRUE;
}

CmdbCommand *
cmdb_cli_build_page_command (CmdbCliSession *session, const char *page_id,
                             const CmdbCliPageCommandFlags *flags, CmdbFormState **ret_state,
                             char **ret_experiment, int *ret_status,
                             CmdbComposeResult **ret_compose, GError **error)
{
  g_autoptr (CmdbPageSession) page_session = NULL;
  g_autoptr (CmdbFormInput) input = cmdb_form_input_new ();
  g_autoptr (CmdbFormState) state = NULL;
  g_autoptr (CmdbCommand) command = NULL;
  GPtrArray *problems;
  gboolean suffix;

  *ret_status = 1;
  page_session = cmdb_cli_open_usable_page_session (session, page_id, error);
  if (page_session == NULL)
    return NULL;
  if (!fill_input (session, page_session, flags, input, error))
    {
      *ret_status = 2;
      return NULL;
    }

  state = cmdb_page_session_evaluate (page_session, input, CMDB_PAGE_SESSION_STRICT);
  problems = cmdb_form_state_get_problems (state);
  cmdb_cli_print_problems (problems);
  for (guint i = 0; i < problems->len; i++)
    if (((CmdbProblem *) g_ptr_array_index (problems, i))->severity == CMDB_SEVERITY_ERROR)
      {
        g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_FAILED,
                     "the workspace has errors (see above; cmdbuilder check lists them all)");
        return NULL;
      }

  suffix = cmdb_page_session_resolve_suffix (page_session, flags->suffix);
  command = cmdb_page_session_build (page_session, state, suffix, error);
  if (command == NULL)
    return NULL;
  for (guint i = 0; i < command->warnings->len; i++)
    cmdb_cli_report (CMDB_SEVERITY_WARNING, "%s",
                     (const char *) g_ptr_array_index (command->warnings, i));
  for (guint i = 0; i < command->errors->len; i++)
    cmdb_cli_report (CMDB_SEVERITY_ERROR, "%s",
                     (const char *) g_ptr_array_index (command->errors, i));
  *ret_status = command->errors->len > 0 ? 2 : 0;
  if (ret_experiment != NULL)
    *ret_experiment = cmdb_page_session_get_experiment_name (page_session, state, suffix);
  if (flags->compose_check)
    {
      g_autoptr (CmdbComposeResult) compose = cmdb_page_session_compose (page_session, command);

      if (compose != NULL && !cmdb_compose_result_get_ok (compose))
        {
          cmdb_cli_print_compose_result (compose, page_id, stderr);
          *ret_status = 2;
        }
      if (ret_compose != NULL)
        *ret_compose = g_steal_pointer (&compose);
    }
  if (ret_state != NULL)
    *ret_state = g_steal_pointer (&state);
  return g_steal_pointer (&command);
}
