/** CloudBroker's resources and the element names their records use, for client and emulator alike. */
export type CbResource =
  | 'jobs'
  | 'instances'
  | 'softwares'
  | 'executables'
  | 'resources'
  | 'regions'
  | 'instance_types'
  | 'data_files'
  | 'data_types'
  | 'deployments'
  | 'key_pairs';

/** `GET /instance_types.xml` answers `<instance-types><instance-type>…`. */
export const RECORD_ELEMENT: Record<CbResource, string> = {
  jobs: 'job',
  instances: 'instance',
  softwares: 'software',
  executables: 'executable',
  resources: 'resource',
  regions: 'region',
  instance_types: 'instance-type',
  data_files: 'data-file',
  data_types: 'data-type',
  deployments: 'deployment',
  key_pairs: 'key-pair',
};

export const listElement = (resource: CbResource) => resource.replace(/_/g, '-');

export const isResource = (name: string): name is CbResource => name in RECORD_ELEMENT;
