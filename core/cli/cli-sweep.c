#define G_LOG_DOMAIN "cmdb-cli"

/* `build --sweep`: every member of a sweep built and compose-checked the
 * way `build` builds one command (core/sweep holds the product and the
 * limit; docs/sweeps.md). */

#include "cli.h"
#include "sweep/cmdb-sweep-private.h"

#include <stdio.h>
#include <string.h>

GPtrArray *
cmdb_cli_sweep_members (CmdbCliSession *session, char **specs, GPtrArray **ret_axes, GError **error)
{
  g_autoptr (GPtrArray) axes
      = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_sweep_axis_free);
  GPtrArray *members;

  for (guint i = 0; specs[i] != NULL; i++)
    {
      CmdbSweepAxis *axis = cmdb_sweep_axis_parse (specs[i], error);

      if (axis == NULL)
        return NULL;
      g_ptr_array_add (axes, axis);
    }
  members = cmdb_sweep_expand (axes, cmdb_sweep_get_limit (session->config), error);
  if (members != NULL && ret_axes != NULL)
    *ret_axes = g_steal_pointer (&axes);
  return members;
}

/* (transfer full): @flags->sets followed by KEY=TEXT for each value of
 * @member, so a sweep value wins over a --set of the same key. */
static GStrv
member_sets (const CmdbCliPageCommandFlags *flags, JsonObject *member)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (GList) keys = json_object_get_members (member);

  for (guint i = 0; flags->sets != NULL && flags->sets[i] != NULL; i++)
    g_strv_builder_add (builder, flags->sets[i]);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      g_autofree char *text = cmdb_sweep_value_text (json_object_get_member (member, l->data));

      g_autofree char *set = g_strdup_printf ("%s=%s", (const char *) l->data, text);

      g_strv_builder_add (builder, set);
    }
  return g_strv_builder_end (builder);
}

CmdbCommand *
cmdb_cli_build_sweep_member (CmdbCliSession *session, const char *page_id,
                             const CmdbCliPageCommandFlags *flags, JsonObject *member,
                             CmdbFormState **ret_state, char **ret_experiment, int *ret_status,
                             GError **error)
{
  g_auto (GStrv) sets = member_sets (flags, member);
  CmdbCliPageCommandFlags member_flags = *flags;
  g_autoptr (CmdbCommand) command = NULL;

  member_flags.sets = sets;
  command = cmdb_cli_build_page_command (session, page_id, &member_flags, ret_state, ret_experiment,
                                         ret_status, NULL, error);
  if (command == NULL || *ret_status != 0)
    return g_steal_pointer (&command);
  if (!cmdb_command_check_argv (command->argv, session->context, error))
    {
      *ret_status = 2;
      return NULL;
    }
  return g_steal_pointer (&command);
}

char *
cmdb_cli_sweep_member_label (JsonObject *member)
{
  g_autoptr (GString) label = g_string_new (NULL);
  g_autoptr (GList) keys = json_object_get_members (member);

  for (GList *l = keys; l != NULL; l = l->next)
    {
      g_autofree char *text = cmdb_sweep_value_text (json_object_get_member (member, l->data));

      g_string_append_printf (label, "%s%s=%s", label->len > 0 ? " " : "", (const char *) l->data,
                              text);
    }
  return g_string_free (g_steal_pointer (&label), FALSE);
}

int
cmdb_cli_build_sweep (CmdbCliSession *session, const char *page_id,
                      const CmdbCliPageCommandFlags *flags, char **specs, gboolean json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) members = cmdb_cli_sweep_members (session, specs, NULL, &error);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  int worst = 0;

  if (members == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 2;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sweep");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "count");
  json_builder_add_int_value (builder, members->len);
  json_builder_set_member_name (builder, "commands");
  json_builder_begin_array (builder);
  for (guint i = 0; i < members->len; i++)
    {
      JsonObject *member = g_ptr_array_index (members, i);
      g_autofree char *label = cmdb_cli_sweep_member_label (member);
      g_autoptr (CmdbCommand) command = NULL;
      g_autoptr (GError) member_error = NULL;
      int status = 1;

      cmdb_cli_note ("member %u of %u: %s", i + 1, members->len, cmdb_cli_safe (label));
      command = cmdb_cli_build_sweep_member (session, page_id, flags, member, NULL, NULL, &status,
                                             &member_error);
      if (member_error != NULL)
        cmdb_cli_error ("%s: %s", cmdb_cli_safe (label), member_error->message);
      else if (status != 0)
        cmdb_cli_error ("member %u (%s) would not run (see above)", i + 1, cmdb_cli_safe (label));
      worst = MAX (worst, status);
      if (json)
        {
          g_autoptr (JsonNode) values = json_node_init_object (json_node_alloc (), member);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "values");
          json_builder_add_value (builder, g_steal_pointer (&values));
          json_builder_set_member_name (builder, "command");
          if (command != NULL)
            json_builder_add_string_value (builder, command->display);
          else
            json_builder_add_null_value (builder);
          json_builder_set_member_name (builder, "ok");
          json_builder_add_boolean_value (builder, status == 0);
          json_builder_end_object (builder);
        }
      else if (command != NULL && status == 0)
        printf ("%s\n", command->display);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  if (json)
    {
      g_autoptr (JsonNode) root = json_builder_get_root (builder);

      cmdb_cli_print_json (root);
    }
  return worst;
}
