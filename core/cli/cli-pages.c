#define G_LOG_DOMAIN "cmdb-cli"

/* Naming a page on the command line: the ids, a did-you-mean for a typo,
 * the page's session (cmdb-page-session-private.h: the one path from a
 * page to its form and command, shared with the server). */

#include "cli.h"

GPtrArray *
cmdb_cli_list_page_ids (CmdbCliSession *session)
{
  g_autoptr (GPtrArray) records = cmdb_host_list_pages (session->host);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < records->len; i++)
    g_ptr_array_add (ids, g_strdup (((CmdbPluginRecord *) g_ptr_array_index (records, i))->id));
  return ids;
}

CmdbPageSession *
cmdb_cli_open_page_session (CmdbCliSession *session, const char *page_id, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  CmdbPageSession *page_session
      = cmdb_page_session_open (session->host, session->context, page_id, &local_error);

  if (page_session != NULL)
    return page_session;
  if (g_error_matches (local_error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_NOT_FOUND))
    {
      g_autoptr (GPtrArray) ids = cmdb_cli_list_page_ids (session);
      g_autofree char *message = cmdb_cli_unknown_name_message ("page", page_id, ids);

      g_set_error_literal (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_NOT_FOUND, message);
    }
  else
    g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}

CmdbPageSession *
cmdb_cli_open_usable_page_session (CmdbCliSession *session, const char *page_id, GError **error)
{
  g_autoptr (CmdbPageSession) page_session = cmdb_cli_open_page_session (session, page_id, error);
  CmdbSchema *schema;

  if (page_session == NULL)
    return NULL;
  schema = cmdb_page_session_get_schema (page_session);
  cmdb_cli_print_problems (cmdb_schema_get_problems (schema));
  if (cmdb_schema_has_errors (schema))
    {
      g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_FAILED,
                   "%s has errors; fix them first (cmdbuilder check)",
                   cmdb_page_session_get_schema_path (page_session));
      return NULL;
    }
  return g_steal_pointer (&page_session);
}

GPtrArray *
cmdb_cli_list_use_cases (CmdbContext *context)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_use_case_free);
  g_autoptr (CmdbCatalog) catalog = cmdb_context_get_architectures (context, NULL);

  for (guint i = 0; catalog != NULL && i < cmdb_catalog_get_n_items (catalog); i++)
    {
      g_autoptr (GPtrArray) use_cases
          = cmdb_list_use_cases (context, cmdb_catalog_get_item (catalog, i)->name);

      while (use_cases->len > 0)
        g_ptr_array_add (all, g_ptr_array_steal_index (use_cases, 0));
    }
  return all;
}
