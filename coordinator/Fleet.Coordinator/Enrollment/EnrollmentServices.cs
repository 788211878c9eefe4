using Fleet.Coordinator.Hosting;

namespace Fleet.Coordinator.Enrollment;

public static class EnrollmentServices
{
    /// <summary>Join tokens and enrollment: their stores, the enroller and its per-address throttle.</summary>
    public static IServiceCollection AddEnrollment(this IServiceCollection services, int enrollmentsPerSecondPerAddress, TimeProvider time)
    {
        services.AddSingleton<IJoinTokenStore, SqliteJoinTokenStore>();
        services.AddSingleton<IEnrollmentStore, SqliteEnrollmentStore>();
        services.AddSingleton<JoinTokens>();
        services.AddSingleton<Enroller>();
        services.AddSingleton(new EnrollThrottle(new AddressThrottle(enrollmentsPerSecondPerAddress, time)));
        return services;
    }
}
