/**
 * API versions that current Kubernetes no longer serves, as Pharos-era custom manifests still
 * use them: what replaces each and what else the move needs. Facts from the Kubernetes
 * deprecated API migration guide (removals in 1.16, 1.22, 1.25, 1.26, 1.27, 1.29, 1.32).
 */

export interface RemovedApi {
  /** Kubernetes release that stopped serving it. */
  removedIn: string;
  /** The apiVersion to use instead, or undefined when the kind itself is gone. */
  replacement?: string;
  /** What else has to change besides the apiVersion. */
  changes: string;
}

const APPS_V1 =
  'apps/v1 requires spec.selector, and it must match spec.template.metadata.labels (the selector is immutable afterwards)';
const RBAC_V1 = 'no field changes';
const PSP_GONE =
  'PodSecurityPolicy was removed without a replacement kind; use Pod Security Admission (pod-security.kubernetes.io/* namespace labels) or a policy engine';

/** Keyed by `apiVersion kind`; `apiVersion *` matches every kind of that version. */
const REMOVED: Readonly<Record<string, RemovedApi>> = {
  'extensions/v1beta1 DaemonSet': {
    removedIn: '1.16',
    replacement: 'apps/v1',
    changes: `${APPS_V1}; spec.templateGeneration is gone and updateStrategy now defaults to RollingUpdate`,
  },
  'extensions/v1beta1 Deployment': {
    removedIn: '1.16',
    replacement: 'apps/v1',
    changes: `${APPS_V1}; spec.rollbackTo is gone`,
  },
  'extensions/v1beta1 ReplicaSet': { removedIn: '1.16', replacement: 'apps/v1', changes: APPS_V1 },
  'extensions/v1beta1 NetworkPolicy': {
    removedIn: '1.16',
    replacement: 'networking.k8s.io/v1',
    changes: 'no field changes',
  },
  'extensions/v1beta1 PodSecurityPolicy': { removedIn: '1.16', changes: PSP_GONE },
  'extensions/v1beta1 Ingress': {
    removedIn: '1.22',
    replacement: 'networking.k8s.io/v1',
    changes:
      'backend.serviceName/servicePort become backend.service.name and backend.service.port.number (or .name), and every path needs a pathType',
  },
  'apps/v1beta1 *': { removedIn: '1.16', replacement: 'apps/v1', changes: APPS_V1 },
  'apps/v1beta2 *': { removedIn: '1.16', replacement: 'apps/v1', changes: APPS_V1 },
  'rbac.authorization.k8s.io/v1beta1 *': {
    removedIn: '1.22',
    replacement: 'rbac.authorization.k8s.io/v1',
    changes: RBAC_V1,
  },
  'rbac.authorization.k8s.io/v1alpha1 *': {
    removedIn: '1.22',
    replacement: 'rbac.authorization.k8s.io/v1',
    changes: RBAC_V1,
  },
  'policy/v1beta1 PodDisruptionBudget': {
    removedIn: '1.25',
    replacement: 'policy/v1',
    changes: 'an empty spec.selector ({}) now selects every pod in the namespace instead of none',
  },
  'policy/v1beta1 PodSecurityPolicy': { removedIn: '1.25', changes: PSP_GONE },
  'apiextensions.k8s.io/v1beta1 CustomResourceDefinition': {
    removedIn: '1.22',
    replacement: 'apiextensions.k8s.io/v1',
    changes:
      'spec.version/validation/subresources/additionalPrinterColumns move into each entry of spec.versions, every version needs a structural schema.openAPIV3Schema (use x-kubernetes-preserve-unknown-fields: true for free-form parts), additionalPrinterColumns[].JSONPath becomes jsonPath, and spec.preserveUnknownFields: true is no longer allowed',
  },
  'admissionregistration.k8s.io/v1beta1 MutatingWebhookConfiguration': {
    removedIn: '1.22',
    replacement: 'admissionregistration.k8s.io/v1',
    changes:
      'every webhook needs sideEffects (None or NoneOnDryRun) and admissionReviewVersions; timeoutSeconds now defaults to 10',
  },
  'admissionregistration.k8s.io/v1beta1 ValidatingWebhookConfiguration': {
    removedIn: '1.22',
    replacement: 'admissionregistration.k8s.io/v1',
    changes:
      'every webhook needs sideEffects (None or NoneOnDryRun) and admissionReviewVersions; timeoutSeconds now defaults to 10',
  },
  'networking.k8s.io/v1beta1 Ingress': {
    removedIn: '1.22',
    replacement: 'networking.k8s.io/v1',
    changes:
      'backend.serviceName/servicePort become backend.service.name and backend.service.port.number (or .name), and every path needs a pathType',
  },
  'networking.k8s.io/v1beta1 IngressClass': {
    removedIn: '1.22',
    replacement: 'networking.k8s.io/v1',
    changes: 'no field changes',
  },
  'scheduling.k8s.io/v1beta1 PriorityClass': {
    removedIn: '1.22',
    replacement: 'scheduling.k8s.io/v1',
    changes: 'no field changes',
  },
  'scheduling.k8s.io/v1alpha1 PriorityClass': {
    removedIn: '1.22',
    replacement: 'scheduling.k8s.io/v1',
    changes: 'no field changes',
  },
  'storage.k8s.io/v1beta1 CSIDriver': {
    removedIn: '1.22',
    replacement: 'storage.k8s.io/v1',
    changes: 'no field changes',
  },
  'storage.k8s.io/v1beta1 CSINode': {
    removedIn: '1.22',
    replacement: 'storage.k8s.io/v1',
    changes: 'no field changes',
  },
  'storage.k8s.io/v1beta1 StorageClass': {
    removedIn: '1.22',
    replacement: 'storage.k8s.io/v1',
    changes: 'no field changes',
  },
  'storage.k8s.io/v1beta1 VolumeAttachment': {
    removedIn: '1.22',
    replacement: 'storage.k8s.io/v1',
    changes: 'no field changes',
  },
  'storage.k8s.io/v1beta1 CSIStorageCapacity': {
    removedIn: '1.27',
    replacement: 'storage.k8s.io/v1',
    changes: 'no field changes',
  },
  'batch/v1beta1 CronJob': { removedIn: '1.25', replacement: 'batch/v1', changes: 'no field changes' },
  'autoscaling/v2beta1 HorizontalPodAutoscaler': {
    removedIn: '1.25',
    replacement: 'autoscaling/v2',
    changes: 'metric targets move into a target: {type, averageUtilization|averageValue|value} block',
  },
  'autoscaling/v2beta2 HorizontalPodAutoscaler': {
    removedIn: '1.26',
    replacement: 'autoscaling/v2',
    changes: 'no field changes',
  },
  'discovery.k8s.io/v1beta1 EndpointSlice': {
    removedIn: '1.25',
    replacement: 'discovery.k8s.io/v1',
    changes: 'endpoints[].topology is replaced by nodeName and zone',
  },
  'events.k8s.io/v1beta1 Event': {
    removedIn: '1.25',
    replacement: 'events.k8s.io/v1',
    changes:
      'deprecatedCount/deprecatedFirstTimestamp/deprecatedLastTimestamp/deprecatedSource replace count/firstTimestamp/lastTimestamp/source',
  },
  'node.k8s.io/v1beta1 RuntimeClass': {
    removedIn: '1.25',
    replacement: 'node.k8s.io/v1',
    changes: 'no field changes',
  },
  'certificates.k8s.io/v1beta1 CertificateSigningRequest': {
    removedIn: '1.22',
    replacement: 'certificates.k8s.io/v1',
    changes: 'spec.signerName is required and spec.usages must be set',
  },
  'coordination.k8s.io/v1beta1 Lease': {
    removedIn: '1.22',
    replacement: 'coordination.k8s.io/v1',
    changes: 'no field changes',
  },
  'apiregistration.k8s.io/v1beta1 APIService': {
    removedIn: '1.22',
    replacement: 'apiregistration.k8s.io/v1',
    changes: 'no field changes',
  },
  'flowcontrol.apiserver.k8s.io/v1beta1 *': {
    removedIn: '1.26',
    replacement: 'flowcontrol.apiserver.k8s.io/v1',
    changes: 'no field changes',
  },
  'flowcontrol.apiserver.k8s.io/v1beta2 *': {
    removedIn: '1.29',
    replacement: 'flowcontrol.apiserver.k8s.io/v1',
    changes: 'no field changes',
  },
  'flowcontrol.apiserver.k8s.io/v1beta3 *': {
    removedIn: '1.32',
    replacement: 'flowcontrol.apiserver.k8s.io/v1',
    changes:
      'PriorityLevelConfiguration spec.limited.nominalConcurrencyShares: 0 now means zero, not the default 30',
  },
};

/** What replaces a removed apiVersion/kind, or undefined when Kubernetes still serves it. */
export function removedApi(apiVersion: string, kind: string): RemovedApi | undefined {
  const exact = `${apiVersion} ${kind}`;
  const any = `${apiVersion} *`;
  if (Object.hasOwn(REMOVED, exact)) return REMOVED[exact];
  return Object.hasOwn(REMOVED, any) ? REMOVED[any] : undefined;
}
