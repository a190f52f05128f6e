// The GraphQL documents the chart sends (the same few, so the API's parse cache keeps them).

// What a node shows: its type, force and the one property that names it for an investigator.
const NODE = `
fragment ChartNode on Node {
  id label force
  ... on Person { fullName dob }
  ... on Phone { e164 }
  ... on Vehicle { vrm }
  ... on Address { fullAddress }
  ... on Postcode { postcode }
  ... on Place { name }
  ... on Email { email }
  ... on Account { handle platform }
  ... on Device { imei }
  ... on Document { documentNumber }
  ... on BankAccount { accountNumber }
}`;

const MEASURED = `
fragment ChartMeasures on NetworkNode {
  node { ...ChartNode }
  hop degree weightedDegree betweenness closeness pagerank eigenvector coreness community keyPlayerRank
}`;

/** The measured network around the seeds (the chart's main drawing). */
export const NETWORK = `
query ChartNetwork($ids: [ID!]!, $hops: Int!, $since: DateTime, $until: DateTime) {
  network(ids: $ids, hops: $hops, since: $since, until: $until, first: 100) {
    nodeCount edgeCount communityCount estimated
    nodes { ...ChartMeasures }
    edges { sourceId targetId weight }
  }
}
${MEASURED}
${NODE}`;

/** One node's own neighbourhood (one hop, events collapsed into ties), merged on a click. */
export const EXPAND = `
query ChartExpand($ids: [ID!]!, $since: DateTime, $until: DateTime) {
  network(ids: $ids, hops: 1, since: $since, until: $until, first: 100) {
    nodeCount
    nodes { node { ...ChartNode } }
    edges { sourceId targetId weight }
  }
}
${NODE}`;

/** The days the entity was in touch (phones, people, accounts): the time slider's range. */
export const DAYS = `
query ChartDays($ids: [ID!]!) {
  communications(ids: $ids, first: 1) { daily { date } }
}`;

/** The entity's first dated event, for entities that do not communicate (a vehicle, an address). */
export const FIRST_EVENT = `
query ChartFirstEvent($id: ID!) {
  timeline(id: $id, first: 1) { edges { at } }
}`;

/** What the name of a node is, from the fields of ChartNode. */
export function caption(node) {
  const named =
    node.fullName || node.e164 || node.vrm || node.fullAddress || node.postcode || node.name ||
    node.email || (node.handle && `${node.handle}${node.platform ? ` (${node.platform})` : ""}`) ||
    node.imei || node.documentNumber || node.accountNumber;
  return named ? String(named) : node.label;
}
