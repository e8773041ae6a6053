import { useContext } from 'preact/hooks';
import { AppServicesContext, type AppServices } from './app-context.js';

export function useServices(): AppServices {
  const services = useContext(AppServicesContext);
  if (services === null) throw new Error('AppServicesContext is not provided');
  return services;
}
