using System.Buffers.Binary;
using Fleet.Agent.Steps;

namespace Fleet.Agent.Tests.Steps;

/// <summary>Synthetic ELF files: a 64-byte header with the wanted e_machine, then a payload that tells files apart.</summary>
internal static class Elf
{
    public static byte[] File(ushort machine, string payload = "", bool bigEndian = false, bool is64Bit = true)
    {
        var header = new byte[64];
        header[0] = 0x7F;
        header[1] = (byte)'E';
        header[2] = (byte)'L';
        header[3] = (byte)'F';
        header[4] = is64Bit ? (byte)2 : (byte)1; // EI_CLASS
        header[5] = bigEndian ? (byte)2 : (byte)1; // EI_DATA
        header[6] = 1; // EI_VERSION
        var type = header.AsSpan(16, 2);
        var machineField = header.AsSpan(18, 2);
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt16BigEndian(type, 2); // ET_EXEC
            BinaryPrimitives.WriteUInt16BigEndian(machineField, machine);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(type, 2);
            BinaryPrimitives.WriteUInt16LittleEndian(machineField, machine);
        }

        return [.. header, .. System.Text.Encoding.UTF8.GetBytes(payload)];
    }

    public static byte[] X86_64(string payload = "") => File(ElfMachine.X86_64, payload);

    public static byte[] AArch64(string payload = "") => File(ElfMachine.AArch64, payload);
}
