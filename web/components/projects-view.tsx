import type { ProjectListing } from '../../lib/server/projects.ts'

export function ProjectsView({ listing }: { listing: ProjectListing }) {
  return (
    <>
      <h1>Projects</h1>
      <p>
        Workspace <code data-testid="workspace">{listing.workspace.path}</code>, repos under{' '}
        <code>{listing.workspacesDir}</code>
      </p>
      {listing.problems.length > 0 && (
        <ul className="problems" data-testid="problems" role="alert">
          {listing.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th>Path</th>
          </tr>
        </thead>
        <tbody data-testid="projects">
          {listing.projects.map((p) => (
            <tr key={p.path} className={p.current ? 'current' : undefined}>
              <td>
                {p.name}
                {p.current ? ' (workspace)' : ''}
              </td>
              <td>{p.sf && p.kind === 'git' ? 'git, sf' : p.kind}</td>
              <td>
                <code>{p.path}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {listing.projects.length === 0 && <p>No git repos or SF projects found.</p>}
      {listing.skipped.length > 0 && (
        <details className="skipped">
          <summary>{listing.skipped.length} folder(s) skipped</summary>
          <ul>
            {listing.skipped.map((s) => (
              <li key={s.path}>
                <code>{s.path}</code>: {s.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
    </>
  )
}
