import { Command } from 'commander'
import { readMediaTypesFile } from '../media/media-types/media-types-config.js'
import { printTable, withCommonOptions, withDeps } from './shared.js'

export function projectsCommand(): Command {
  const projects = new Command('projects').description('manage projects and their media types')

  withCommonOptions(
    projects
      .command('create')
      .description('create a project (with default media types unless --media-types is given)')
      .argument('<handle>', 'project handle, e.g. my-archive')
      .option('--media-types <file>', 'media types config, YAML or JSON: a list, or {mediaTypes: [...]}'),
  ).action(async (handle: string, options) => {
    // Read and check the file before touching the database, so a bad file changes nothing.
    const mediaTypes = options.mediaTypes ? readMediaTypesFile(options.mediaTypes) : undefined
    await withDeps(options, async ({ projects }) => {
      const project = await projects.create(handle, mediaTypes)
      process.stdout.write(
        `created project ${project.handle} with media types ${project.mediaTypes.map((t) => t.handle).join(', ')}\n`,
      )
    })
  })

  withCommonOptions(projects.command('list').description('list projects')).action(async (options) => {
    await withDeps(options, async ({ projects }) => {
      const rows = (await projects.list()).map((p) => ({
        handle: p.handle,
        mediaTypes: p.mediaTypes.map((t) => `${t.handle}(${t.type})`).join(' '),
        createdAt: p.createdAt,
      }))
      printTable(rows, ['handle', 'mediaTypes', 'createdAt'])
    })
  })
  return projects
}
