# Playground in a container: the web app and its engine. It makes namespaces, mounts and
# cgroups for every sandbox, so it needs a privileged container (see README, "Docker").
#
#   docker build -t playground .
#   docker run --rm --privileged --cgroupns=host -p 127.0.0.1:5000:5000 -v playground:/var/lib/playground playground

# --- build: the .NET SDK, plus what the build runs: npm (browser libraries from the
# committed package-lock.json) and a C toolchain with zlib (NativeAOT links playground-init).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish src/Web -c Release -o /app -nologo

# --- run: ASP.NET Core's runtime image, plus the tools the engine starts (util-linux's
# unshare, nsenter and setpriv), libseccomp for the filters, busybox-static for the default
# root, gcc and libc6-dev for "Compile C", debootstrap for Debian roots. For "from a Docker
# image", mount the host's engine socket (-v /var/run/docker.sock:/var/run/docker.sock) or set
# Playground__DockerHost.
FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends util-linux libseccomp2 busybox-static iproute2 \
      gcc libc6-dev debootstrap e2fsprogs mount \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
VOLUME /var/lib/playground
EXPOSE 5000
# appsettings.json listens on loopback only; in a container, listen on its interface.
ENTRYPOINT ["dotnet", "Playground.Web.dll", "--urls", "http://0.0.0.0:5000"]
