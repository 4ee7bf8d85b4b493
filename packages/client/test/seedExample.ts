/**
 * The README examples users already code against, verbatim: this file exists so `tsc` proves the
 * client still accepts them. (Not run: the example deletes its destination before it publishes.)
 */
import { createSignalClient } from "../src/index"

export const seedExample = async () => {
  let client = createSignalClient({
    endpoint: 'http://localhost:25050',
  });

  // Create/update a tenant
  let tenant = await client.tenant.upsert({
    name: 'My Application',
    identifier: 'my-app',
  });

  // Get a tenant
  let retrievedTenant = await client.tenant.get({
    tenantId: tenant.id,
  });

  // Create/update a sender
  let sender = await client.sender.upsert({
    name: 'Payment Service',
    identifier: 'payment-service',
  });

  // Get a sender
  let retrievedSender = await client.sender.get({
    senderId: sender.id,
  });

  // Create a webhook destination
  let destination = await client.eventDestination.create({
    tenantId: tenant.id,
    senderId: sender.id,
    name: 'Production Webhook',
    description: 'Main production event receiver',
    eventTypes: ['payment.created', 'payment.failed'],
    retry: {
      type: 'exponential',
      delaySeconds: 60,
      maxAttempts: 5,
    },
    variant: {
      type: 'http_endpoint',
      url: 'https://api.example.com/webhooks',
      method: 'POST',
    },
  });

  console.log('Destination ID:', destination.id);
  console.log('Signing Secret:', destination.webhook?.signingSecret);

  // List destinations
  let destinations = await client.eventDestination.list({
    tenantId: tenant.id,
    limit: 20,
    order: 'desc',
  });

  // Get destination details
  let destinationDetails = await client.eventDestination.get({
    tenantId: tenant.id,
    eventDestinationId: destination.id,
  });

  // Update a destination
  let updated = await client.eventDestination.update({
    tenantId: tenant.id,
    eventDestinationId: destination.id,
    name: 'Updated Webhook',
    eventTypes: null, // Receive all event types
  });

  // Delete a destination
  await client.eventDestination.delete({
    tenantId: tenant.id,
    eventDestinationId: destination.id,
  });

  // Create an event
  let event = await client.event.create({
    tenantId: tenant.id,
    senderId: sender.id,
    eventType: 'payment.created',
    topics: ['payments', 'transactions'],
    payloadJson: JSON.stringify({
      paymentId: 'pay_123',
      amount: 1000,
      currency: 'USD',
      customer: {
        id: 'cust_456',
        email: 'customer@example.com',
      },
    }),
    headers: {
      'X-Custom-Header': 'custom-value',
    },
    onlyForDestinations: undefined, // Send to all matching destinations
  });

  console.log('Event ID:', event.id);
  console.log('Status:', event.status);
  console.log('Destination Count:', event.destinationCount);

  // Get event details
  let eventDetails = await client.event.get({
    tenantId: tenant.id,
    eventId: event.id,
  });

  console.log('Success Count:', eventDetails.successCount);
  console.log('Failure Count:', eventDetails.failureCount);

  // List events with filters
  let events = await client.event.list({
    tenantId: tenant.id,
    eventTypes: ['payment.created', 'payment.failed'],
    topics: ['payments'],
    senderIds: [sender.id],
    limit: 50,
    order: 'desc',
  });

  for (let evt of events.items) {
    console.log(`Event ${evt.id}: ${evt.type} - ${evt.status}`);
  }

  // List delivery intents
  let intents = await client.eventDeliveryIntent.list({
    tenantId: tenant.id,
    eventIds: [event.id],
    status: ['pending', 'retrying', 'failed'],
    limit: 20,
    order: 'desc',
  });

  for (let intent of intents.items) {
    console.log('Intent ID:', intent.id);
    console.log('Status:', intent.status);
    console.log('Attempt Count:', intent.attemptCount);
    console.log('Destination:', intent.destination.name);
    console.log('Next Attempt At:', intent.nextAttemptAt);

    if (intent.error) {
      console.log('Error Code:', intent.error.code);
      console.log('Error Message:', intent.error.message);
    }
  }

  // Get specific intent details
  let intent = await client.eventDeliveryIntent.get({
    tenantId: tenant.id,
    eventDeliveryIntentId: intents.items[0].id,
  });

  console.log('Event:', intent.event.type);
  console.log('Destination URL:', intent.destination.webhook?.url);

  // List delivery attempts
  let attempts = await client.eventDeliveryAttempt.list({
    tenantId: tenant.id,
    eventIds: [event.id],
    status: ['succeeded', 'failed'],
    limit: 50,
    order: 'desc',
  });

  for (let attempt of attempts.items) {
    console.log('Attempt ID:', attempt.id);
    console.log('Status:', attempt.status);
    console.log('Attempt Number:', attempt.attemptNumber);
    console.log('Duration:', attempt.durationMs, 'ms');

    if (attempt.response) {
      console.log('Response Status:', attempt.response.statusCode);
      console.log('Response Body:', attempt.response.body);
      console.log('Response Headers:', attempt.response.headers);
    }

    if (attempt.error) {
      console.log('Error Code:', attempt.error.code);
      console.log('Error Message:', attempt.error.message);
    }
  }

  // Get detailed attempt information
  let attempt = await client.eventDeliveryAttempt.get({
    tenantId: tenant.id,
    eventDeliveryAttemptId: attempts.items[0].id,
  });

  console.log('Full attempt details:', attempt);
  console.log('Started At:', attempt.startedAt);
  console.log('Completed At:', attempt.completedAt);
  console.log('Intent:', attempt.intent);

  return { retrievedTenant, retrievedSender, destinations, destinationDetails, updated }
}
